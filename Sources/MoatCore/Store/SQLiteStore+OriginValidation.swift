import Foundation
import GRDB
import MoatModel

extension SQLiteStore {
    package func loadOriginData(_ data: OriginDataUpload, check: OriginCheck, actor: String) async throws -> Written<OriginDataSummary> {
        let kind = data.kind
        let prefixes = data.prefixes
        let ipv4 = prefixes.reduce(0) { $0 + ($1.isIPv4 ? 1 : 0) }
        let noun = kind == .roas ? "ROAs" : "route objects"
        let change = Change(actor: actor, accountID: nil, action: "origin_validation.\(kind.rawValue).load",
                            summary: "\(prefixes.count) \(noun) (\(ipv4) IPv4, \(prefixes.count - ipv4) IPv6)", affectsConfig: false)
        return try await write(change) { db, now in
            switch data {
            case .roas(let roas):
                try db.execute(sql: "DELETE FROM roas")
                let insert = try db.makeStatement(sql: "INSERT INTO roas (prefix, max_length, asn) VALUES (?, ?, ?)")
                for roa in roas { try insert.execute(arguments: [roa.prefix.description, roa.maxLength, Int64(roa.asn)]) }
            case .irr(let routes):
                try db.execute(sql: "DELETE FROM irr_routes")
                let insert = try db.makeStatement(sql: "INSERT INTO irr_routes (prefix, origin, source) VALUES (?, ?, ?)")
                for route in routes { try insert.execute(arguments: [route.prefix.description, Int64(route.origin), route.source]) }
            }
            let record = OriginDataRecord(kind: kind.rawValue, entries: prefixes.count, ipv4: ipv4, ipv6: prefixes.count - ipv4, loadedAt: now, loadedBy: actor)
            try record.save(db)
            var summary = record.summary
            summary.invalidPrefixes = try Self.originConflicts(db, check: check)
            return (summary, kind.rawValue)
        }
    }

    package func clearOriginData(_ kind: OriginDataKind, actor: String) async throws -> Written<Void> {
        let change = Change(actor: actor, accountID: nil, action: "origin_validation.\(kind.rawValue).clear", objectID: kind.rawValue, affectsConfig: false)
        return try await write(change) { db, _ in
            guard try OriginDataRecord.deleteOne(db, key: kind.rawValue) else {
                throw APIError(.notFound, code: "not_found", "no \(kind.noun) is loaded")
            }
            try db.execute(sql: kind == .roas ? "DELETE FROM roas" : "DELETE FROM irr_routes")
            return ((), kind.rawValue)
        }
    }

    package func originValidationStatus() async throws -> OriginValidationStatus {
        try await pool.read { db in
            var status = OriginValidationStatus()
            for record in try OriginDataRecord.fetchAll(db) {
                switch OriginDataKind(rawValue: record.kind) {
                case .roas: status.roas = record.summary
                case .irr: status.irr = record.summary
                case nil: break
                }
            }
            return status
        }
    }

    /// The stored ROAs and route objects that could bear on `cidr`: those filed under it or under
    /// a prefix containing it, found through the prefix index with one probe per length.
    static func originData(_ db: Database, around cidr: CIDR) throws -> OriginData {
        let loaded = Set(try String.fetchAll(db, sql: "SELECT kind FROM origin_data"))
        guard !loaded.isEmpty else { return OriginData() }
        let candidates = (0...cidr.length).map { cidr.supernet(length: $0).description }
        let arguments = StatementArguments(candidates)
        let marks = databaseQuestionMarks(count: candidates.count)
        var data = OriginData()
        if loaded.contains(OriginDataKind.roas.rawValue) {
            let rows = try Row.fetchAll(db, sql: "SELECT prefix, max_length, asn FROM roas WHERE prefix IN (\(marks))", arguments: arguments)
            data.roas = ROASet(rows.compactMap { row in
                CIDR(row["prefix"] as String).map { ROA(prefix: $0, maxLength: row["max_length"], asn: UInt32(truncatingIfNeeded: row["asn"] as Int64)) }
            })
        }
        if loaded.contains(OriginDataKind.irr.rawValue) {
            let rows = try Row.fetchAll(db, sql: "SELECT prefix, origin, source FROM irr_routes WHERE prefix IN (\(marks))", arguments: arguments)
            data.irr = IRRRouteSet(rows.compactMap { row in
                CIDR(row["prefix"] as String).map { IRRRoute(prefix: $0, origin: UInt32(truncatingIfNeeded: row["origin"] as Int64), source: row["source"]) }
            })
        }
        return data
    }

    /// Runs `check` against the stored data; a refusal leaves the transaction to roll back.
    static func verifyOrigin(_ db: Database, _ prefix: Prefix, check: OriginCheck) throws {
        try check.verify(prefix, data: try originData(db, around: prefix.cidr))
    }

    /// The pending and approved prefixes the stored data refuses.
    static func originConflicts(_ db: Database, check: OriginCheck) throws -> [OriginConflict] {
        let prefixes = try Prefix.filter(Column("status") != Prefix.Status.rejected.rawValue).fetchAll(db).sorted { $0.cidr < $1.cidr }
        return try prefixes.compactMap { prefix in
            let rejections = check.assess(prefix.cidr, origins: check.origins(of: prefix), data: try originData(db, around: prefix.cidr)).rejections
            guard !rejections.isEmpty else { return nil }
            return OriginConflict(prefixID: prefix.id, accountID: prefix.accountID, cidr: prefix.cidr, status: prefix.status, reason: rejections.joined(separator: "; "))
        }
    }
}

/// Which sources are loaded, with what.
struct OriginDataRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "origin_data"
    var kind: String
    var entries: Int
    var ipv4: Int
    var ipv6: Int
    var loadedAt: Date
    var loadedBy: String

    enum CodingKeys: String, CodingKey {
        case kind, entries, ipv4, ipv6
        case loadedAt = "loaded_at"
        case loadedBy = "loaded_by"
    }

    var summary: OriginDataSummary {
        OriginDataSummary(entries: entries, ipv4: ipv4, ipv6: ipv6, loadedAt: loadedAt, loadedBy: loadedBy)
    }
}
