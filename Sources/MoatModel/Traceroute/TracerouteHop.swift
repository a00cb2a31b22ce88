/// One TTL of a trace: how many probes went out with it, how many got no answer, and who answered.
public struct TracerouteHop: Codable, Equatable, Sendable {
    public var ttl: Int
    public var sent: Int
    public var lost: Int
    /// The addresses that answered probes of this TTL; empty when none did (a router that sends
    /// no ICMP shows as a hop with no node and 100 % loss).
    public var nodes: [TracerouteNode]

    public init(ttl: Int, sent: Int, lost: Int, nodes: [TracerouteNode]) {
        self.ttl = ttl
        self.sent = sent
        self.lost = lost
        self.nodes = nodes
    }

    /// Lost over sent, 0...1.
    public var loss: Double { sent == 0 ? 0 : Double(lost) / Double(sent) }
}

/// An address that answered probes of one TTL, and how fast.
public struct TracerouteNode: Codable, Equatable, Sendable {
    public var address: IPAddress
    /// The origin AS of the address, from the edge's BGP table or its IP-to-ASN file.
    public var asn: UInt32?
    public var asName: String?
    /// Probes this address answered.
    public var answered: Int
    /// Round-trip times in milliseconds.
    public var rttMin: Double
    public var rttMean: Double
    public var rttMax: Double
    /// Population standard deviation of the round-trip times.
    public var rttStddev: Double
    /// The answer came from the target itself (echo reply, port unreachable, SYN-ACK or RST).
    public var reached: Bool

    enum CodingKeys: String, CodingKey {
        case address, asn, answered, reached
        case asName = "as_name"
        case rttMin = "rtt_min"
        case rttMean = "rtt_mean"
        case rttMax = "rtt_max"
        case rttStddev = "rtt_stddev"
    }

    public init(address: IPAddress, asn: UInt32? = nil, asName: String? = nil, answered: Int, rttMin: Double, rttMean: Double,
                rttMax: Double, rttStddev: Double, reached: Bool) {
        self.address = address
        self.asn = asn
        self.asName = asName
        self.answered = answered
        self.rttMin = rttMin
        self.rttMean = rttMean
        self.rttMax = rttMax
        self.rttStddev = rttStddev
        self.reached = reached
    }
}
