import Foundation

/// A customer (BYOIP) prefix that Moat protects and announces once the operator approves it.
public struct Prefix: Codable, Equatable, Sendable {
    public enum Status: String, Codable, CaseIterable, Sendable {
        case pending, approved, rejected
    }

    public var id: String
    public var accountID: String
    public var cidr: CIDR
    public var description: String?
    public var originASN: UInt32?
    public var status: Status
    /// The account wants the prefix announced (on-demand advertisement).
    public var advertised: Bool
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, cidr, description, status, advertised
        case accountID = "account_id"
        case originASN = "origin_asn"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(id: String = Identifier.make("pfx"), accountID: String, spec: PrefixSpec, status: Status = .pending, at date: Date) {
        self.id = id
        self.accountID = accountID
        self.cidr = spec.cidr
        self.description = spec.description
        self.originASN = spec.originASN
        self.status = status
        self.advertised = spec.advertised
        self.createdAt = date
        self.updatedAt = date
    }

    public var spec: PrefixSpec {
        PrefixSpec(cidr: cidr, description: description, originASN: originASN, advertised: advertised)
    }
}

/// The fields an account sets on a prefix. `status` belongs to the operator and is read
/// separately (see `PrefixPatch`).
public struct PrefixSpec: Equatable, Sendable {
    public var cidr: CIDR
    public var description: String?
    public var originASN: UInt32?
    public var advertised: Bool

    /// Longest prefixes routers accept from the global table.
    public static let longestIPv4 = 24
    public static let longestIPv6 = 48

    public init(cidr: CIDR, description: String? = nil, originASN: UInt32? = nil, advertised: Bool = false) {
        self.cidr = cidr
        self.description = description
        self.originASN = originASN
        self.advertised = advertised
    }

    public init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        cidr = try reader.cidr("cidr")
        description = try reader.optionalString("description", maxLength: 256)
        originASN = try PrefixSpec.readASN(&reader)
        advertised = try reader.optionalBool("advertised") ?? false
        if reader.has("status") {
            throw ValidationError(.invalidValue, "a new prefix is always 'pending' until the operator approves it", field: "status")
        }
        try reader.finish()
        try validate()
    }

    static func readASN(_ reader: inout ObjectReader) throws(ValidationError) -> UInt32? {
        guard let asn = try reader.optionalInt("origin_asn", in: 1...4_294_967_294) else { return nil }
        // RFC 6793: AS_TRANS (23456) is a placeholder, never a real origin.
        guard asn != 23456 else {
            throw ValidationError(.invalidValue, "23456 is AS_TRANS (RFC 6793), not an origin AS", field: "origin_asn")
        }
        return UInt32(asn)
    }

    func validate() throws(ValidationError) {
        let longest = cidr.isIPv4 ? PrefixSpec.longestIPv4 : PrefixSpec.longestIPv6
        guard cidr.length <= longest else {
            throw ValidationError(.invalidCIDR, "\(cidr) is longer than /\(longest), the longest prefix upstream routers accept", field: "cidr")
        }
        let shortest = cidr.isIPv4 ? 8 : 16
        guard cidr.length >= shortest else {
            throw ValidationError(.invalidCIDR, "\(cidr) is shorter than /\(shortest); onboard the prefixes you own", field: "cidr")
        }
    }
}

/// A partial update of a prefix. `status` is the operator's; the rest is the account's.
public struct PrefixPatch: Equatable, Sendable {
    public var description: String??
    public var originASN: UInt32??
    public var advertised: Bool?
    public var status: Prefix.Status?

    public init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        if reader.has("cidr") {
            throw ValidationError(.invalidValue, "a prefix's cidr cannot change; delete it and onboard the new one", field: "cidr")
        }
        if reader.has("description") { description = .some(try reader.optionalString("description", maxLength: 256)) }
        if reader.has("origin_asn") { originASN = .some(try PrefixSpec.readASN(&reader)) }
        advertised = try reader.optionalBool("advertised")
        status = try reader.optionalEnum("status", Prefix.Status.self)
        try reader.finish()
    }

    public func applied(to prefix: Prefix) -> Prefix {
        var prefix = prefix
        if let description { prefix.description = description }
        if let originASN { prefix.originASN = originASN }
        if let advertised { prefix.advertised = advertised }
        if let status { prefix.status = status }
        return prefix
    }
}
