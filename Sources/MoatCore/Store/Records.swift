import Foundation
import GRDB
import MoatModel

// The domain types are the rows: their CodingKeys are the column names, nested values
// (health_check, scope) are stored as JSON text by GRDB.

extension IPAddress: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { description.databaseValue }
    public static func fromDatabaseValue(_ value: DatabaseValue) -> IPAddress? {
        String.fromDatabaseValue(value).flatMap(IPAddress.init)
    }
}

extension CIDR: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { description.databaseValue }
    public static func fromDatabaseValue(_ value: DatabaseValue) -> CIDR? {
        String.fromDatabaseValue(value).flatMap(CIDR.init)
    }
}

extension Prefix.Status: DatabaseValueConvertible {}
extension TokenScope: DatabaseValueConvertible {}
extension EdgeInfo.Status: DatabaseValueConvertible {}

extension Account: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "accounts"
}

extension Location: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "locations"
}

extension Prefix: FetchableRecord, PersistableRecord, AccountRow {
    public static let databaseTableName = "prefixes"
    static let noun = "prefix"
}

extension Tunnel: FetchableRecord, PersistableRecord, AccountRow {
    public static let databaseTableName = "tunnels"
    static let noun = "tunnel"
}

extension Route: FetchableRecord, PersistableRecord, AccountRow {
    public static let databaseTableName = "routes"
    static let noun = "route"
}

extension FirewallRule: FetchableRecord, PersistableRecord, AccountRow {
    public static let databaseTableName = "firewall_rules"
    static let noun = "firewall rule"
}

extension FirewallList: FetchableRecord, PersistableRecord, AccountRow {
    public static let databaseTableName = "firewall_lists"
    static let noun = "firewall list"
}

extension FirewallRule.Action: DatabaseValueConvertible {}

/// A token row: the hash, never the secret.
struct TokenRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "tokens"
    var id: String
    var hash: String
    var scope: TokenScope
    var accountID: String?
    var description: String?
    var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, hash, scope, description
        case accountID = "account_id"
        case createdAt = "created_at"
    }

    var info: TokenInfo {
        TokenInfo(id: id, scope: scope, accountID: accountID, description: description, createdAt: createdAt)
    }
}

/// An edge row, with its enrolment and credential hashes.
struct EdgeRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "edges"
    var id: String
    var location: String
    var name: String?
    var status: EdgeInfo.Status
    var hostname: String?
    var agentVersion: String?
    var appliedVersion: Int?
    var lastError: String?
    var lastSeen: Date?
    var createdAt: Date
    var enrollmentHash: String?
    var enrollmentExpiresAt: Date?
    var credentialHash: String?

    enum CodingKeys: String, CodingKey {
        case id, location, name, status, hostname
        case agentVersion = "agent_version"
        case appliedVersion = "applied_version"
        case lastError = "last_error"
        case lastSeen = "last_seen"
        case createdAt = "created_at"
        case enrollmentHash = "enrollment_hash"
        case enrollmentExpiresAt = "enrollment_expires_at"
        case credentialHash = "credential_hash"
    }

    var info: EdgeInfo {
        var info = EdgeInfo(id: id, location: location, name: name, status: status, createdAt: createdAt)
        info.hostname = hostname
        info.agentVersion = agentVersion
        info.appliedVersion = appliedVersion
        info.lastError = lastError
        info.lastSeen = lastSeen
        if status == .pending { info.enrollmentExpiresAt = enrollmentExpiresAt }
        return info
    }
}

struct AuditRecord: Codable, FetchableRecord, MutablePersistableRecord {
    static let databaseTableName = "audit"
    var id: Int64?
    var at: Date
    var actor: String
    var accountID: String?
    var action: String
    var objectID: String?
    var version: Int
    var summary: String?

    enum CodingKeys: String, CodingKey {
        case id, at, actor, action, version, summary
        case accountID = "account_id"
        case objectID = "object_id"
    }

    mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    var entry: AuditEntry {
        AuditEntry(id: id ?? 0, at: at, actor: actor, accountID: accountID, action: action, objectID: objectID, version: version, summary: summary)
    }
}

/// The compiled config of one location and the digest of its content.
struct LocationConfigRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "location_configs"
    var location: String
    var version: Int
    var digest: String
    var body: Data
}
