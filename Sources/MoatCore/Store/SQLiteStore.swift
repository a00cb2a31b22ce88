import Crypto
import Foundation
import GRDB
import MoatModel

/// The embedded store: SQLite through GRDB, in WAL mode with `synchronous=FULL`, so an answered
/// write survives SIGKILL and power loss alike.
package final class SQLiteStore: Store {
    let pool: DatabasePool
    let clock: @Sendable () -> Date
    /// Called after a commit with every location config the change altered.
    let configsChanged: @Sendable ([EdgeConfig]) -> Void

    package init(path: String, clock: @escaping @Sendable () -> Date = { Date() },
                 configsChanged: @escaping @Sendable ([EdgeConfig]) -> Void = { _ in }) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        // DatabasePool turns WAL on after prepareDatabase and sets synchronous=NORMAL with it,
        // which survives a crash but not a power loss. Writes go through one connection: set it there.
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        try Schema.migrator().migrate(pool)
        self.clock = clock
        self.configsChanged = configsChanged
    }

    /// What a change writes to the audit log.
    struct Change {
        var actor: String
        var accountID: String?
        var action: String
        var objectID: String?
        var summary: String?
        /// Whether location configs may differ afterwards.
        var affectsConfig: Bool
    }

    /// Runs one change in one transaction: the body, the version bump, the audit record and
    /// the recompiled location configs; then tells the broadcaster what changed.
    func write<T: Sendable>(_ describe: Change, _ body: @escaping @Sendable (Database, Date) throws -> (T, String?)) async throws -> Written<T> {
        let now = clock()
        let (result, version, changed) = try await pool.write { db -> (T, Int, [EdgeConfig]) in
            let (value, objectID) = try body(db, now)
            try db.execute(sql: "UPDATE meta SET value = value + 1 WHERE key = 'version'")
            let version = try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'version'") ?? 0
            var record = AuditRecord(id: nil, at: now, actor: describe.actor, accountID: describe.accountID,
                                     action: describe.action, objectID: objectID ?? describe.objectID,
                                     version: version, summary: describe.summary)
            try record.insert(db)
            let changed = describe.affectsConfig ? try Self.recompile(db, version: version, at: now) : []
            return (value, version, changed)
        }
        if !changed.isEmpty { configsChanged(changed) }
        return Written(value: result, version: version)
    }

    /// Compiles every location's config and stores those whose content changed.
    static func recompile(_ db: Database, version: Int, at now: Date) throws -> [EdgeConfig] {
        let locations = try Location.fetchAll(db)
        let prefixes = try Prefix.filter(Column("status") == Prefix.Status.approved.rawValue).fetchAll(db)
        let tunnels = try Tunnel.fetchAll(db)
        let routes = try Route.fetchAll(db)
        let rules = try FirewallRule.filter(Column("enabled") == true).fetchAll(db)
        let lists = try FirewallList.fetchAll(db)
        let peers = try BGPPeerRecord.fetchAll(db).map { try $0.peer() }
        let apps = try SpectrumAppRecord.fetchAll(db).map { try $0.app() }
        let enrolled = try EdgeRecord.filter(Column("status") == EdgeInfo.Status.enrolled.rawValue).fetchAll(db)
        let ddos = try Self.ddosInputs(db, at: now)
        let stored = try LocationConfigRecord.fetchAll(db)
        var digests: [String: String] = [:]
        for record in stored { digests[record.location] = record.digest }
        var changed: [EdgeConfig] = []
        for location in locations {
            let config = ConfigCompiler.compile(location: location, prefixes: prefixes, tunnels: tunnels, routes: routes,
                                                firewallRules: rules, firewallLists: lists, bgpPeers: peers, apps: apps,
                                                edges: enrolled.filter { $0.location == location.id }.map(\.id),
                                                ddos: ddos, version: version, at: now)
            let digest = try ConfigCompiler.digest(config)
            guard digests[location.id] != digest else { continue }
            let body = try MoatJSON.encoder().encode(config)
            try LocationConfigRecord(location: location.id, version: version, digest: digest, body: body).save(db)
            changed.append(config)
        }
        let gone = Set(digests.keys).subtracting(locations.map(\.id))
        for location in gone { _ = try LocationConfigRecord.deleteOne(db, key: location) }
        return changed
    }

    package func currentVersion() async throws -> Int {
        try await pool.read { db in try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'version'") ?? 0 }
    }

    package func compiledConfigs() async throws -> [String: EdgeConfig] {
        let records = try await pool.read { db in try LocationConfigRecord.fetchAll(db) }
        let decoder = MoatJSON.decoder()
        var configs: [String: EdgeConfig] = [:]
        for record in records { configs[record.location] = try decoder.decode(EdgeConfig.self, from: record.body) }
        return configs
    }

    package func audit(_ query: AuditQuery) async throws -> [AuditEntry] {
        try await pool.read { db in
            var request = AuditRecord.order(Column("id").desc).limit(query.limit)
            if let accountID = query.accountID { request = request.filter(Column("account_id") == accountID) }
            if let beforeID = query.beforeID { request = request.filter(Column("id") < beforeID) }
            return try request.fetchAll(db).map(\.entry)
        }
    }
}
