/// The fields the operator sets on a BGP peer, with their defaults and rules.
public struct BGPPeerSpec: Equatable, Sendable {
    public var name: String
    public var edge: String?
    public var peerAddress: IPAddress
    public var peerASN: UInt32
    public var localASN: UInt32
    public var localAddress: IPAddress?
    public var md5Key: String?
    public var holdTime: Int
    public var passive: Bool
    public var gracefulRestart: Bool
    public var restartTime: Int
    public var communities: [String]
    public var largeCommunities: [String]
    public var nextHopIPv4: IPAddress?
    public var nextHopIPv6: IPAddress?
    public var prefixLimit: Int?
    public var receiveLimit: Int

    /// RFC 4271 §10 suggests 90 s; BIRD and FRR default to 240 and 180.
    public static let defaultHoldTime = 90
    public static let defaultRestartTime = 120
    public static let defaultReceiveLimit = 10_000

    public init(name: String, edge: String? = nil, peerAddress: IPAddress, peerASN: UInt32, localASN: UInt32, localAddress: IPAddress? = nil,
                md5Key: String? = nil, holdTime: Int = BGPPeerSpec.defaultHoldTime, passive: Bool = false, gracefulRestart: Bool = true,
                restartTime: Int = BGPPeerSpec.defaultRestartTime, communities: [String] = [], largeCommunities: [String] = [],
                nextHopIPv4: IPAddress? = nil, nextHopIPv6: IPAddress? = nil, prefixLimit: Int? = nil,
                receiveLimit: Int = BGPPeerSpec.defaultReceiveLimit) {
        self.name = name
        self.edge = edge
        self.peerAddress = peerAddress
        self.peerASN = peerASN
        self.localASN = localASN
        self.localAddress = localAddress
        self.md5Key = md5Key
        self.holdTime = holdTime
        self.passive = passive
        self.gracefulRestart = gracefulRestart
        self.restartTime = restartTime
        self.communities = communities
        self.largeCommunities = largeCommunities
        self.nextHopIPv4 = nextHopIPv4
        self.nextHopIPv6 = nextHopIPv6
        self.prefixLimit = prefixLimit
        self.receiveLimit = receiveLimit
    }

    public init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        for required in ["name", "peer_address", "peer_asn", "local_asn"] where !reader.has(required) { throw reader.missing(required) }
        self.init(name: "", peerAddress: .v4(0), peerASN: 0, localASN: 0)
        try read(&reader)
        try reader.finish()
        try validate()
    }

    public mutating func apply(patch json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        try read(&reader)
        try reader.finish()
        try validate()
    }

    /// Reads the fields present; absent ones keep their value. `null` clears an optional field.
    private mutating func read(_ reader: inout ObjectReader) throws(ValidationError) {
        if let name = try reader.optionalString("name", maxLength: 64) { self.name = name }
        if reader.has("edge") { edge = try reader.optionalString("edge", maxLength: 64) }
        if let address = try reader.optionalAddress("peer_address") { peerAddress = address }
        if let asn = try Self.readASN(&reader, "peer_asn") { peerASN = asn }
        if let asn = try Self.readASN(&reader, "local_asn") { localASN = asn }
        if reader.has("local_address") { localAddress = try reader.optionalAddress("local_address") }
        if reader.has("md5_key") {
            md5Key = try reader.optionalString("md5_key", maxLength: 80)
            if md5Key == "" { throw ValidationError(.invalidValue, "an MD5 key is 1-80 characters; send null to remove it", field: "md5_key") }
        }
        if let hold = try reader.optionalInt("hold_time", in: 0...65535) { holdTime = hold }
        if let passive = try reader.optionalBool("passive") { self.passive = passive }
        if let restart = try reader.optionalBool("graceful_restart") { gracefulRestart = restart }
        if let time = try reader.optionalInt("restart_time", in: 1...4095) { restartTime = time }
        if let values = try reader.optionalStringArray("communities", maxCount: 32) { communities = values }
        if let values = try reader.optionalStringArray("large_communities", maxCount: 32) { largeCommunities = values }
        if reader.has("next_hop_ipv4") { nextHopIPv4 = try reader.optionalAddress("next_hop_ipv4") }
        if reader.has("next_hop_ipv6") { nextHopIPv6 = try reader.optionalAddress("next_hop_ipv6") }
        if reader.has("prefix_limit") { prefixLimit = try reader.optionalInt("prefix_limit", in: 1...1_000_000) }
        if let limit = try reader.optionalInt("receive_limit", in: 0...10_000_000) { receiveLimit = limit }
    }

    static func readASN(_ reader: inout ObjectReader, _ field: String) throws(ValidationError) -> UInt32? {
        guard let asn = try reader.optionalInt(field, in: 1...4_294_967_294) else { return nil }
        guard asn != 23456 else { throw ValidationError(.invalidValue, "23456 is AS_TRANS (RFC 6793), not a real AS", field: field) }
        return UInt32(asn)
    }

    func validate() throws(ValidationError) {
        guard LocationSpec.isValidID(name) else {
            throw ValidationError(.invalidValue, "'\(name)' is not a peer name: use 1-32 lowercase letters, digits and '-', starting with a letter (e.g. transit-a)", field: "name")
        }
        guard holdTime == 0 || holdTime >= 3 else {
            throw ValidationError(.outOfRange, "a hold time is 0 (no keepalives) or at least 3 seconds (RFC 4271 §4.2)", field: "hold_time")
        }
        if let localAddress, localAddress.isIPv4 != peerAddress.isIPv4 {
            throw ValidationError(.invalidAddress, "\(localAddress) is not of the peer address's family", field: "local_address")
        }
        if let nextHopIPv4, !nextHopIPv4.isIPv4 { throw ValidationError(.invalidAddress, "\(nextHopIPv4) is not an IPv4 address", field: "next_hop_ipv4") }
        if let nextHopIPv6, nextHopIPv6.isIPv4 { throw ValidationError(.invalidAddress, "\(nextHopIPv6) is not an IPv6 address", field: "next_hop_ipv6") }
        for (index, text) in communities.enumerated() where BGPCommunityText.standard(text) == nil {
            throw ValidationError(.invalidValue, "'\(text)' is not a community: write ASN:VALUE with both parts 0-65535 (e.g. 65000:100)", field: "communities[\(index)]")
        }
        for (index, text) in largeCommunities.enumerated() where BGPCommunityText.large(text) == nil {
            throw ValidationError(.invalidValue, "'\(text)' is not a large community: write ASN:DATA1:DATA2, each 0-4294967295 (RFC 8092)", field: "large_communities[\(index)]")
        }
    }
}

/// Community text forms: `65000:100` (RFC 1997) and `65000:1:2` (RFC 8092).
public enum BGPCommunityText {
    /// The 32-bit value of `ASN:VALUE`.
    public static func standard(_ text: String) -> UInt32? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let high = UInt16(parts[0]), let low = UInt16(parts[1]) else { return nil }
        return UInt32(high) << 16 | UInt32(low)
    }

    public static func large(_ text: String) -> (UInt32, UInt32, UInt32)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let a = UInt32(parts[0]), let b = UInt32(parts[1]), let c = UInt32(parts[2]) else { return nil }
        return (a, b, c)
    }
}
