/// How a traceroute probes: the packet type and its limits (`POST /v1/accounts/{account}/traceroutes`,
/// field `options`).
public struct TracerouteOptions: Codable, Equatable, Sendable {
    public enum PacketType: String, Codable, CaseIterable, Sendable {
        /// ICMP echo requests; the target answers with an echo reply.
        case icmp
        /// UDP datagrams to a closed port; the target answers with ICMP port unreachable.
        case udp
        /// TCP SYNs; the target answers with SYN-ACK (port open) or RST (closed).
        case tcp
        /// GRE through one of the account's tunnels: the target is the tunnel's customer endpoint.
        /// The outer packet goes from the tunnel's Moat endpoint to the customer endpoint with
        /// increasing TTL, carrying an ICMP echo request from the edge's side of the tunnel's
        /// interface address to the customer router's side. Routers on the way answer with ICMP
        /// time exceeded quoting the outer packet; the customer router decapsulates the probe and
        /// its echo reply comes back through the tunnel, which ends the trace at the customer
        /// endpoint. (Cloudflare's Magic Transit offers `gre` and `gre+icmp`; Moat's `gre` is
        /// the encapsulated echo, and there is no IPv6 variant because tunnels are IPv4.)
        case gre

        /// Whether probes of this type have a destination port.
        public var hasPort: Bool { self == .udp || self == .tcp }
    }

    public static let defaultMaxTTL = 15
    public static let maximumTTL = 64
    public static let defaultPacketsPerTTL = 3
    public static let maximumPacketsPerTTL = 10
    public static let waitTimeRange = 1...5
    /// Debian traceroute's first UDP port, and the port TCP SYNs go to unless told.
    public static let defaultUDPPort = 33434
    public static let defaultTCPPort = 80

    public var packetType: PacketType
    public var maxTTL: Int
    public var packetsPerTTL: Int
    /// The destination port for UDP and TCP; nil for ICMP and GRE.
    public var port: Int?
    /// Seconds to wait for each probe's answer.
    public var waitTime: Int

    enum CodingKeys: String, CodingKey {
        case port
        case packetType = "packet_type"
        case maxTTL = "max_ttl"
        case packetsPerTTL = "packets_per_ttl"
        case waitTime = "wait_time"
    }

    public init(packetType: PacketType = .icmp, maxTTL: Int = defaultMaxTTL, packetsPerTTL: Int = defaultPacketsPerTTL,
                port: Int? = nil, waitTime: Int = 2) {
        self.packetType = packetType
        self.maxTTL = maxTTL
        self.packetsPerTTL = packetsPerTTL
        self.port = packetType.hasPort ? (port ?? (packetType == .udp ? Self.defaultUDPPort : Self.defaultTCPPort)) : nil
        self.waitTime = waitTime
    }

    /// Reads `options`; every field is optional. Faults name `options.FIELD`.
    public init(json: JSONValue?) throws(ValidationError) {
        guard let json else {
            self.init()
            return
        }
        var reader = try ObjectReader(json, path: "options")
        let type = try reader.optionalEnum("packet_type", PacketType.self) ?? .icmp
        let maxTTL = try reader.optionalInt("max_ttl", in: 1...Self.maximumTTL) ?? Self.defaultMaxTTL
        let packets = try reader.optionalInt("packets_per_ttl", in: 1...Self.maximumPacketsPerTTL) ?? Self.defaultPacketsPerTTL
        let port = try reader.optionalInt("port", in: 1...65535)
        let wait = try reader.optionalInt("wait_time", in: Self.waitTimeRange) ?? 2
        try reader.finish()
        if !type.hasPort, port != nil {
            throw ValidationError(.invalidValue, "\(type == .gre ? "GRE" : "ICMP") probes have no port; set packet_type to 'udp' or 'tcp'",
                                  field: "options.port")
        }
        self.init(packetType: type, maxTTL: maxTTL, packetsPerTTL: packets, port: port, waitTime: wait)
    }

    /// Probes an edge keeps unanswered at once for one target (Debian traceroute's `-N` default).
    public static let probesInFlight = 16

    /// The longest a trace of one target can take: every probe waited out, `probesInFlight` at a
    /// time, plus a second for sending.
    public var worstCaseSeconds: Int {
        let waves = (maxTTL * packetsPerTTL + Self.probesInFlight - 1) / Self.probesInFlight
        return waves * waitTime + 1
    }
}
