import Foundation
import GRDB
import MoatModel

/// A stored Spectrum event: its app, account, location and time for the queries, the event as JSON.
struct ProxyEventRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "proxy_events"
    var id: Int64?
    var appID: String
    var accountID: String
    var location: String
    var startMs: Int64
    var body: Data

    enum CodingKeys: String, CodingKey {
        case id, location, body
        case appID = "app_id"
        case accountID = "account_id"
        case startMs = "start_ms"
    }
}

extension SQLiteStore {
    /// Events are kept 7 days.
    static let proxyEventRetention: TimeInterval = 7 * 86_400

    package func recordProxyEvents(edgeID: String, location: String, events: [ProxyEvent], at now: Date) async throws {
        try await pool.write { db in
            let owners = Dictionary(try SpectrumAppRecord.fetchAll(db).map { ($0.id, $0.accountID) }, uniquingKeysWith: { first, _ in first })
            let encoder = MoatJSON.encoder()
            for var event in events {
                guard let account = owners[event.appID] else { continue }
                event.location = location
                var record = ProxyEventRecord(id: nil, appID: event.appID, accountID: account, location: location,
                                              startMs: Int64(event.start.timeIntervalSince1970 * 1000), body: try encoder.encode(event))
                try record.insert(db)
            }
            let horizon = Int64((now.timeIntervalSince1970 - Self.proxyEventRetention) * 1000)
            try db.execute(sql: "DELETE FROM proxy_events WHERE start_ms < ?", arguments: [horizon])
        }
    }

    /// The app's newest events first, before `before` (exclusive) when given.
    package func proxyEvents(accountID: String, appID: String, limit: Int, before: Date?) async throws -> [ProxyEvent] {
        try await pool.read { db in
            _ = try Self.fetchOwned(SpectrumAppRecord.self, db, accountID: accountID, id: appID)
            var request = ProxyEventRecord.filter(Column("app_id") == appID)
            if let before { request = request.filter(Column("start_ms") < Int64(before.timeIntervalSince1970 * 1000)) }
            let decoder = MoatJSON.decoder()
            return try request.order(Column("start_ms").desc, Column("id").desc).limit(limit).fetchAll(db)
                .map { try decoder.decode(ProxyEvent.self, from: $0.body) }
        }
    }
}
