/// The always-on rules every edge loads for traffic to protected prefixes. The operator tunes
/// them for everyone; an account overrides single fields.
///
/// Stateful parts (`drop_invalid`, `amplification_ports`, SYN proxy) use the edge's conntrack,
/// so they need the edge to see both directions of a flow. Magic Transit's usual path is
/// unidirectional (the customer answers straight to the Internet), where conntrack calls a
/// client's second packet invalid: so `drop_invalid` is off by default, for the operator or an
/// account whose return traffic passes the edge (bidirectional tunnels, Spectrum) to turn on.
public struct ManagedRules: Codable, Equatable, Sendable {
    public enum Fragments: String, Codable, Sendable, CaseIterable {
        case allow, drop
    }

    /// Drop packets conntrack calls invalid and TCP that is not a SYN yet opens no known flow
    /// (default off: needs both directions through the edge).
    public var dropInvalid: Bool
    /// Drop impossible TCP flag combinations (SYN+FIN, SYN+RST, FIN+RST, no flags, FIN+PSH+URG without ACK).
    public var dropBadTCPFlags: Bool
    public var fragments: Fragments
    /// Per-source packets/s for TCP SYNs, UDP and ICMP; nil: no limit.
    public var synPerSource: Int?
    public var udpPerSource: Int?
    public var icmpPerSource: Int?
    /// UDP source ports of reflection/amplification services: dropped unless they answer a
    /// flow the destination opened.
    public var amplificationPorts: [Int]

    /// chargen, QOTD, portmap, NTP, NetBIOS, CLDAP, SSDP, WS-Discovery, memcached.
    public static let defaultAmplificationPorts = [17, 19, 111, 123, 137, 389, 1900, 3702, 11211]
    public static let rates = 1...100_000_000

    enum CodingKeys: String, CodingKey {
        case fragments
        case dropInvalid = "drop_invalid"
        case dropBadTCPFlags = "drop_bad_tcp_flags"
        case synPerSource = "syn_per_source"
        case udpPerSource = "udp_per_source"
        case icmpPerSource = "icmp_per_source"
        case amplificationPorts = "amplification_ports"
    }

    public init(dropInvalid: Bool = false, dropBadTCPFlags: Bool = true, fragments: Fragments = .allow, synPerSource: Int? = 2_000,
                udpPerSource: Int? = nil, icmpPerSource: Int? = 500, amplificationPorts: [Int] = Self.defaultAmplificationPorts) {
        self.dropInvalid = dropInvalid
        self.dropBadTCPFlags = dropBadTCPFlags
        self.fragments = fragments
        self.synPerSource = synPerSource
        self.udpPerSource = udpPerSource
        self.icmpPerSource = icmpPerSource
        self.amplificationPorts = amplificationPorts
    }

    /// A limit that is off is written as null.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(dropInvalid, forKey: .dropInvalid)
        try container.encode(dropBadTCPFlags, forKey: .dropBadTCPFlags)
        try container.encode(fragments, forKey: .fragments)
        try container.encode(synPerSource, forKey: .synPerSource)
        try container.encode(udpPerSource, forKey: .udpPerSource)
        try container.encode(icmpPerSource, forKey: .icmpPerSource)
        try container.encode(amplificationPorts, forKey: .amplificationPorts)
    }

    /// Applies the fields an object names (null turns a rate limit off).
    public mutating func read(_ reader: inout ObjectReader) throws(ValidationError) {
        if let flag = try reader.optionalBool("drop_invalid") { dropInvalid = flag }
        if let flag = try reader.optionalBool("drop_bad_tcp_flags") { dropBadTCPFlags = flag }
        if let policy = try reader.optionalEnum("fragments", Fragments.self) { fragments = policy }
        if reader.has("syn_per_source") { synPerSource = try reader.optionalInt("syn_per_source", in: Self.rates) }
        if reader.has("udp_per_source") { udpPerSource = try reader.optionalInt("udp_per_source", in: Self.rates) }
        if reader.has("icmp_per_source") { icmpPerSource = try reader.optionalInt("icmp_per_source", in: Self.rates) }
        if let ports = try reader.optionalIntArray("amplification_ports", in: 1...65_535, maxCount: 64) {
            amplificationPorts = Array(Set(ports)).sorted()
        }
        try reader.finish()
    }
}
