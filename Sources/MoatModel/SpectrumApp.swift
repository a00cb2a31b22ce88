import Foundation

/// A Spectrum app: a TCP or UDP port (or port range) on the edges, proxied to the account's
/// origins. Every edge of the app's locations listens on it.
public struct SpectrumApp: Codable, Equatable, Sendable {
    public enum TransportProtocol: String, Codable, CaseIterable, Sendable { case tcp, udp }

    public enum LoadBalancing: String, Codable, CaseIterable, Sendable {
        case roundRobin = "round_robin"
        case leastConnections = "least_connections"
        /// A hash of the client address: one client, one origin (while it is healthy).
        case hash
        /// Two origins at random, the one with fewer connections.
        case randomTwo = "random_two"
    }

    public enum ProxyProtocol: String, Codable, CaseIterable, Sendable {
        case off, v1, v2
        /// UDP only: the 38-byte Simple Proxy Protocol header on every datagram.
        case simple
    }

    /// A contiguous port range, `low...high`; one port when they are equal.
    public struct PortRange: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
        public var low: Int
        public var high: Int

        public init(low: Int, high: Int) {
            self.low = low
            self.high = high
        }

        public var count: Int { high - low + 1 }
        public var description: String { low == high ? "\(low)" : "\(low)-\(high)" }
        public func overlaps(_ other: PortRange) -> Bool { low <= other.high && other.low <= high }

        /// `"25565"` or `"1000-2000"`.
        public init?(_ text: String) {
            let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let low = Int(parts[0]), let high = Int(parts.last!),
                  (1...65535).contains(low), (1...65535).contains(high), low <= high else { return nil }
            self.init(low: low, high: high)
        }

        public init(from decoder: any Decoder) throws {
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let range = PortRange(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid port range '\(text)'"))
            }
            self = range
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }
    }

    public struct Origin: Codable, Equatable, Hashable, Sendable {
        public var address: IPAddress
        /// One port, or a range as large as the app's, mapped port by port.
        public var ports: PortRange
        public var weight: Int

        enum CodingKeys: String, CodingKey {
            case address, weight
            case ports = "port"
        }

        public init(address: IPAddress, ports: PortRange, weight: Int = 1) {
            self.address = address
            self.ports = ports
            self.weight = weight
        }

        /// The origin port for a connection to edge port `port` of an app listening on `listen`.
        public func port(for port: Int, listen: PortRange) -> Int {
            ports.count == 1 ? ports.low : ports.low + (port - listen.low)
        }
    }

    /// Evaluated in order; the first rule whose prefix holds the client decides; default allow.
    public struct IPRule: Codable, Equatable, Sendable {
        public enum Action: String, Codable, CaseIterable, Sendable { case allow, block }
        public var action: Action
        public var cidr: CIDR

        public init(action: Action, cidr: CIDR) {
            self.action = action
            self.cidr = cidr
        }
    }

    /// Per client address.
    public struct SourceLimits: Codable, Equatable, Sendable {
        public var maxConnections: Int?
        public var newConnectionsPerSecond: Int?

        enum CodingKeys: String, CodingKey {
            case maxConnections = "max_connections"
            case newConnectionsPerSecond = "new_connections_per_second"
        }

        public init(maxConnections: Int? = nil, newConnectionsPerSecond: Int? = nil) {
            self.maxConnections = maxConnections
            self.newConnectionsPerSecond = newConnectionsPerSecond
        }
    }

    public var id: String
    public var accountID: String
    public var name: String
    public var proto: TransportProtocol
    /// The edge address the app listens on; nil: every address of the edge.
    public var edgeAddress: IPAddress?
    public var ports: PortRange
    public var origins: [Origin]
    public var loadBalancing: LoadBalancing
    public var proxyProtocol: ProxyProtocol
    public var ipRules: [IPRule]
    /// Seconds without traffic before a connection (TCP) or session (UDP) is closed.
    public var idleTimeout: Int
    public var sourceLimits: SourceLimits
    /// Locations that serve the app; empty: all.
    public var locations: [String]
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, ports, origins, locations
        case accountID = "account_id"
        case proto = "protocol"
        case edgeAddress = "edge_address"
        case loadBalancing = "load_balancing"
        case proxyProtocol = "proxy_protocol"
        case ipRules = "ip_rules"
        case idleTimeout = "idle_timeout"
        case sourceLimits = "source_limits"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(id: String = Identifier.make("app"), accountID: String, spec: SpectrumAppSpec, at date: Date) {
        self.id = id
        self.accountID = accountID
        self.name = spec.name
        self.proto = spec.proto
        self.edgeAddress = spec.edgeAddress
        self.ports = spec.ports
        self.origins = spec.origins
        self.loadBalancing = spec.loadBalancing
        self.proxyProtocol = spec.proxyProtocol
        self.ipRules = spec.ipRules
        self.idleTimeout = spec.idleTimeout
        self.sourceLimits = spec.sourceLimits
        self.locations = spec.locations
        self.createdAt = date
        self.updatedAt = date
    }

    public var spec: SpectrumAppSpec {
        SpectrumAppSpec(name: name, proto: proto, edgeAddress: edgeAddress, ports: ports, origins: origins, loadBalancing: loadBalancing,
                        proxyProtocol: proxyProtocol, ipRules: ipRules, idleTimeout: idleTimeout, sourceLimits: sourceLimits, locations: locations)
    }

    /// Whether two apps would claim the same socket on an edge that serves both.
    public func clashes(with other: SpectrumApp) -> Bool {
        guard proto == other.proto, ports.overlaps(other.ports) else { return false }
        let sameAddress = edgeAddress == nil || other.edgeAddress == nil || edgeAddress == other.edgeAddress
        let sharedLocation = locations.isEmpty || other.locations.isEmpty || !Set(locations).isDisjoint(with: other.locations)
        return sameAddress && sharedLocation
    }
}
