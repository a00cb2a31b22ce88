import Foundation

/// The operator's route origin data: what `GET /v1/origin-validation` answers. A source that is
/// not loaded is absent, and prefixes are not checked against it.
public struct OriginValidationStatus: Codable, Equatable, Sendable {
    public var roas: OriginDataSummary?
    public var irr: OriginDataSummary?

    public init(roas: OriginDataSummary? = nil, irr: OriginDataSummary? = nil) {
        self.roas = roas
        self.irr = irr
    }
}

/// One loaded source: ROAs or IRR route objects.
public struct OriginDataSummary: Codable, Equatable, Sendable {
    /// ROAs, or route objects, after duplicates are dropped.
    public var entries: Int
    public var ipv4: Int
    public var ipv6: Int
    public var loadedAt: Date
    public var loadedBy: String
    /// Onboarded prefixes (pending or approved) that the data now refuses; only in the answer to
    /// a load. They stay as they are: the operator decides.
    public var invalidPrefixes: [OriginConflict]?

    enum CodingKeys: String, CodingKey {
        case entries, ipv4, ipv6
        case loadedAt = "loaded_at"
        case loadedBy = "loaded_by"
        case invalidPrefixes = "invalid_prefixes"
    }

    public init(entries: Int, ipv4: Int, ipv6: Int, loadedAt: Date, loadedBy: String, invalidPrefixes: [OriginConflict]? = nil) {
        self.entries = entries
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.loadedAt = loadedAt
        self.loadedBy = loadedBy
        self.invalidPrefixes = invalidPrefixes
    }
}

/// An onboarded prefix that the origin data refuses, and why.
public struct OriginConflict: Codable, Equatable, Sendable {
    public var prefixID: String
    public var accountID: String
    public var cidr: CIDR
    public var status: Prefix.Status
    public var reason: String

    enum CodingKeys: String, CodingKey {
        case cidr, status, reason
        case prefixID = "prefix_id"
        case accountID = "account_id"
    }

    public init(prefixID: String, accountID: String, cidr: CIDR, status: Prefix.Status, reason: String) {
        self.prefixID = prefixID
        self.accountID = accountID
        self.cidr = cidr
        self.status = status
        self.reason = reason
    }
}
