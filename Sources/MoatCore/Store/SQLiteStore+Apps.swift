import Foundation
import GRDB
import MoatModel

/// A Spectrum app row: the app as JSON, with its account and name.
struct SpectrumAppRecord: Codable, FetchableRecord, PersistableRecord, AccountRow {
    static let databaseTableName = "spectrum_apps"
    static let noun = "app"
    var id: String
    var accountID: String
    var name: String
    var body: Data

    enum CodingKeys: String, CodingKey {
        case id, name, body
        case accountID = "account_id"
    }

    init(_ app: SpectrumApp) throws {
        id = app.id
        accountID = app.accountID
        name = app.name
        body = try MoatJSON.encoder().encode(app)
    }

    func app() throws -> SpectrumApp { try MoatJSON.decoder().decode(SpectrumApp.self, from: body) }
}

extension SQLiteStore {
    package func createApp(accountID: String, _ spec: SpectrumAppSpec, actor: String) async throws -> Written<SpectrumApp> {
        let change = Change(actor: actor, accountID: accountID, action: "app.create", summary: "\(spec.name) \(spec.proto.rawValue)/\(spec.ports)", affectsConfig: true)
        return try await write(change) { db, now in
            try Self.requireAccount(db, accountID)
            let app = SpectrumApp(accountID: accountID, spec: spec, at: now)
            try Self.checkApp(db, app)
            try SpectrumAppRecord(app).insert(db)
            return (app, app.id)
        }
    }

    package func apps(accountID: String) async throws -> [SpectrumApp] {
        try await pool.read { db in
            try Self.requireAccount(db, accountID)
            return try SpectrumAppRecord.owned(by: accountID).fetchAll(db).map { try $0.app() }.sorted { ($0.name, $0.id) < ($1.name, $1.id) }
        }
    }

    package func app(accountID: String, id: String) async throws -> SpectrumApp {
        try await pool.read { db in try Self.fetchOwned(SpectrumAppRecord.self, db, accountID: accountID, id: id).app() }
    }

    package func updateApp(accountID: String, id: String, actor: String, _ change: @Sendable (inout SpectrumAppSpec) throws -> Void) async throws -> Written<SpectrumApp> {
        let current = try await app(accountID: accountID, id: id)
        var spec = current.spec
        try change(&spec)
        let updated = spec
        let describe = Change(actor: actor, accountID: accountID, action: "app.update", objectID: id, summary: "\(updated.name) \(updated.proto.rawValue)/\(updated.ports)", affectsConfig: true)
        return try await write(describe) { db, now in
            let existing = try Self.fetchOwned(SpectrumAppRecord.self, db, accountID: accountID, id: id).app()
            var app = SpectrumApp(id: id, accountID: accountID, spec: updated, at: existing.createdAt)
            app.updatedAt = now
            try Self.checkApp(db, app)
            try SpectrumAppRecord(app).update(db)
            return (app, id)
        }
    }

    package func deleteApp(accountID: String, id: String, actor: String) async throws -> Written<Void> {
        try await write(Change(actor: actor, accountID: accountID, action: "app.delete", objectID: id, affectsConfig: true)) { db, _ in
            _ = try Self.fetchOwned(SpectrumAppRecord.self, db, accountID: accountID, id: id)
            _ = try SpectrumAppRecord.deleteOne(db, key: id)
            return ((), id)
        }
    }

    /// The name is free in the account, the locations exist, and no app of any account claims
    /// the same protocol, address and port on an edge that would serve both (edge ports are shared).
    static func checkApp(_ db: Database, _ app: SpectrumApp) throws {
        let locations = Set(try Location.fetchAll(db).map(\.id))
        for (index, id) in app.locations.enumerated() where !locations.contains(id) {
            throw APIError.invalid("location '\(id)' does not exist", field: "locations[\(index)]")
        }
        let others = try SpectrumAppRecord.fetchAll(db).filter { $0.id != app.id }.map { try $0.app() }
        if others.contains(where: { $0.accountID == app.accountID && $0.name == app.name }) {
            throw APIError.conflict("the account already has an app named '\(app.name)'", field: "name")
        }
        if let clash = others.first(where: { $0.clashes(with: app) }) {
            let whose = clash.accountID == app.accountID ? "app '\(clash.name)'" : "another account's app"
            throw APIError.conflict("\(app.proto.rawValue) port \(clash.ports) is already taken by \(whose) on the edges both would serve", field: "ports")
        }
    }
}
