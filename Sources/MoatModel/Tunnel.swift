import Foundation

/// A GRE tunnel from every edge to a customer router.
///
/// The interface address is a /31 (the edge takes the even address, the customer router the
/// odd one) or a /30 (the edge takes the first host, the customer the second).
public struct Tunnel: Codable, Equatable, Sendable {
    public var id: String
    public var accountID: String
    public var name: String
    public var description: String?
    public var customerEndpoint: IPAddress
    public var moatEndpoint: IPAddress
    public var interfaceAddress: CIDR
    public var ttl: Int
    public var mtu: Int
    public var healthCheck: HealthCheck
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, description, ttl, mtu
        case accountID = "account_id"
        case customerEndpoint = "customer_endpoint"
        case moatEndpoint = "moat_endpoint"
        case interfaceAddress = "interface_address"
        case healthCheck = "health_check"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(id: String = Identifier.make("tun"), accountID: String, spec: TunnelSpec, at date: Date) {
        self.id = id
        self.accountID = accountID
        self.name = spec.name
        self.description = spec.description
        self.customerEndpoint = spec.customerEndpoint
        self.moatEndpoint = spec.moatEndpoint
        self.interfaceAddress = spec.interfaceAddress
        self.ttl = spec.ttl
        self.mtu = spec.mtu
        self.healthCheck = spec.healthCheck
        self.createdAt = date
        self.updatedAt = date
    }

    public var spec: TunnelSpec {
        TunnelSpec(name: name, description: description, customerEndpoint: customerEndpoint, moatEndpoint: moatEndpoint,
                   interfaceAddress: interfaceAddress, ttl: ttl, mtu: mtu, healthCheck: healthCheck)
    }

    /// The edge's side of the interface address.
    public var edgeAddress: IPAddress { TunnelSpec.sides(of: interfaceAddress).edge }
    /// The customer router's side: the next hop that routes point at.
    public var customerAddress: IPAddress { TunnelSpec.sides(of: interfaceAddress).customer }

    /// TCP MSS clamp: MTU minus the IPv4 and TCP headers.
    public var mss: Int { mtu - 40 }
}

extension Tunnel {
    public struct HealthCheck: Codable, Equatable, Sendable {
        public enum Kind: String, Codable, CaseIterable, Sendable { case reply, request }
        public enum Direction: String, Codable, CaseIterable, Sendable { case unidirectional, bidirectional }
        public enum Rate: String, Codable, CaseIterable, Sendable { case low, mid, high }

        public var enabled: Bool
        public var type: Kind
        public var direction: Direction
        public var rate: Rate
        /// Where probes are addressed; empty means the customer endpoint.
        public var target: IPAddress?

        public init(enabled: Bool = true, type: Kind = .reply, direction: Direction = .unidirectional, rate: Rate = .mid, target: IPAddress? = nil) {
            self.enabled = enabled
            self.type = type
            self.direction = direction
            self.rate = rate
            self.target = target
        }

        mutating func read(_ reader: inout ObjectReader) throws(ValidationError) {
            if let enabled = try reader.optionalBool("enabled") { self.enabled = enabled }
            if let type = try reader.optionalEnum("type", Kind.self) { self.type = type }
            if let direction = try reader.optionalEnum("direction", Direction.self) { self.direction = direction }
            if let rate = try reader.optionalEnum("rate", Rate.self) { self.rate = rate }
            if reader.has("target") { target = try reader.optionalAddress("target") }
            try reader.finish()
        }
    }
}
