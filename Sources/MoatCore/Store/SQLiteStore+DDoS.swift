import Foundation
import GRDB
import MoatModel

/// A stored attack: the latest report as JSON, with the columns the queries use.
struct AttackRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "attacks"
    var id: String
    var accountID: String
    var edgeID: String
    var location: String
    var status: String
    var startedAt: Date
    var override: String?
    var body: Data

    enum CodingKeys: String, CodingKey {
        case id, location, status, override, body
        case accountID = "account_id"
        case edgeID = "edge_id"
        case startedAt = "started_at"
    }

    func attack() throws -> Attack { try MoatJSON.decoder().decode(Attack.self, from: body) }
}

extension SQLiteStore {
    /// Attacks are kept 30 days after they started.
    static let attackRetention: TimeInterval = 30 * 86_400

    package func ddosSettings() async throws -> DDoSSettings {
        try await pool.read { db in try Self.ddosSettings(db) }
    }

    static func ddosSettings(_ db: Database) throws -> DDoSSettings {
        guard let body = try Data.fetchOne(db, sql: "SELECT body FROM ddos_settings WHERE id = 1") else { return DDoSSettings() }
        return try MoatJSON.decoder().decode(DDoSSettings.self, from: body)
    }

    package func setDDoSSettings(_ settings: DDoSSettings, actor: String) async throws -> Written<DDoSSettings> {
        let change = Change(actor: actor, action: "ddos.settings", summary: "sample 1/\(settings.sampleRate)", affectsConfig: true)
        return try await write(change) { db, _ in
            try db.execute(sql: "INSERT INTO ddos_settings (id, body) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body",
                           arguments: [try MoatJSON.encoder().encode(settings)])
            return (settings, nil)
        }
    }

    package func ddosAccountSettings(accountID: String) async throws -> DDoSAccountSettings {
        try await pool.read { db in
            guard try Account.exists(db, key: accountID) else { throw APIError.notFound("account", accountID) }
            guard let body = try Data.fetchOne(db, sql: "SELECT body FROM ddos_accounts WHERE account_id = ?", arguments: [accountID]) else {
                return DDoSAccountSettings()
            }
            return try MoatJSON.decoder().decode(DDoSAccountSettings.self, from: body)
        }
    }

    /// Replaces the account's settings; every prefix they name must lie in one of the account's prefixes.
    package func setDDoSAccountSettings(accountID: String, _ settings: DDoSAccountSettings, actor: String) async throws -> Written<DDoSAccountSettings> {
        let change = Change(actor: actor, accountID: accountID, action: "ddos.account", affectsConfig: true)
        return try await write(change) { db, _ in
            guard try Account.exists(db, key: accountID) else { throw APIError.notFound("account", accountID) }
            let owned = try Prefix.filter(Column("account_id") == accountID).fetchAll(db).map(\.cidr)
            if let (field, prefix) = settings.foreignPrefixes(owned: owned).first {
                throw APIError(.unprocessableContent, code: "prefix_not_owned", "\(prefix) is not inside any prefix of this account", field: field)
            }
            try db.execute(sql: "INSERT INTO ddos_accounts (account_id, body) VALUES (?, ?) ON CONFLICT(account_id) DO UPDATE SET body = excluded.body",
                           arguments: [accountID, try MoatJSON.encoder().encode(settings)])
            return (settings, accountID)
        }
    }

    /// Edges' attack reports: each replaces the stored state of its attack. When mitigations are
    /// pushed to every location, a new or ended attack changes the configs.
    package func recordAttacks(edgeID: String, location: String, attacks: [Attack], at now: Date) async throws {
        let encoder = MoatJSON.encoder()
        let changed = try await pool.write { db -> Bool in
            // Only when mitigations travel to every location do reports change configs.
            let pushing = try Self.ddosSettings(db).mitigation.pushToAllLocations
            var changed = false
            for var attack in attacks {
                guard let accountID = attack.accountID, try Account.exists(db, key: accountID) else { continue }
                attack.location = location
                attack.edgeID = edgeID
                let existing = try AttackRecord.fetchOne(db, key: attack.id)
                // An id belongs to the edge that made it.
                if let existing, existing.edgeID != edgeID { continue }
                // The operator's word shows at once, also before the edge has applied it.
                if existing?.override == "lift" {
                    attack.mitigation = .lifted
                } else if existing?.override == "pin" && attack.mitigation != .expired {
                    attack.mitigation = .pinned
                }
                changed = changed || existing == nil || existing?.status != attack.status.rawValue
                try AttackRecord(id: attack.id, accountID: accountID, edgeID: edgeID, location: location, status: attack.status.rawValue,
                                 startedAt: attack.startedAt, override: existing?.override, body: try encoder.encode(attack)).save(db)
            }
            try db.execute(sql: "DELETE FROM attacks WHERE started_at < ?", arguments: [now.addingTimeInterval(-Self.attackRetention)])
            return changed && pushing
        }
        if changed {
            _ = try await write(Change(actor: "edge:\(edgeID)", action: "ddos.attacks", summary: "mitigations pushed to every location", affectsConfig: true)) { _, _ in ((), nil) }
        }
    }

    package func attacks(accountID: String, status: Attack.Status?, limit: Int) async throws -> [Attack] {
        try await pool.read { db in
            guard try Account.exists(db, key: accountID) else { throw APIError.notFound("account", accountID) }
            var request = AttackRecord.filter(Column("account_id") == accountID)
            if let status { request = request.filter(Column("status") == status.rawValue) }
            return try request.order(Column("started_at").desc).limit(limit).fetchAll(db).map { try $0.attack() }
        }
    }

    package func attack(accountID: String, id: String) async throws -> Attack {
        try await pool.read { db in
            guard let record = try AttackRecord.fetchOne(db, key: id), record.accountID == accountID else { throw APIError.notFound("attack", id) }
            return try record.attack()
        }
    }

    /// The operator pins an attack's mitigation (kept until lifted) or lifts it (removed, and
    /// not installed again for this attack). Edges get it with their config.
    package func overrideAttack(accountID: String, id: String, _ action: MitigationOverride.Action, actor: String) async throws -> Written<Attack> {
        let change = Change(actor: actor, accountID: accountID, action: "ddos.\(action.rawValue)", objectID: id, affectsConfig: true)
        return try await write(change) { db, _ in
            guard var record = try AttackRecord.fetchOne(db, key: id), record.accountID == accountID else { throw APIError.notFound("attack", id) }
            var attack = try record.attack()
            guard attack.fingerprint != nil else {
                throw APIError(.conflict, code: "no_fingerprint", "attack \(id) has no fingerprint to mitigate with")
            }
            if record.override == "lift" && action == .pin {
                throw APIError.conflict("attack \(id) was lifted; a lifted mitigation is not installed again")
            }
            record.override = action.rawValue
            // Shown at once; the edge's next report confirms it.
            attack.mitigation = action == .pin ? .pinned : .lifted
            record.body = try MoatJSON.encoder().encode(attack)
            try record.update(db)
            return (attack, id)
        }
    }

    static func ddosInputs(_ db: Database, at now: Date) throws -> DDoSInputs {
        let settings = try ddosSettings(db)
        var accounts: [String: DDoSAccountSettings] = [:]
        let decoder = MoatJSON.decoder()
        for row in try Row.fetchAll(db, sql: "SELECT account_id, body FROM ddos_accounts") {
            accounts[row["account_id"]] = try decoder.decode(DDoSAccountSettings.self, from: row["body"] as Data)
        }
        var request = AttackRecord.filter(Column("override") != nil)
        if settings.mitigation.pushToAllLocations {
            let horizon = now.addingTimeInterval(-86_400)
            request = AttackRecord.filter(Column("override") != nil || Column("started_at") > horizon)
        }
        let attacks = try request.fetchAll(db).map { record in
            DDoSInputs.StoredAttack(attack: try record.attack(), override: record.override.flatMap(MitigationOverride.Action.init(rawValue:)))
        }
        return DDoSInputs(settings: settings, accounts: accounts, attacks: attacks)
    }
}
