/// The fields a caller sets on a tunnel, with the rules of DESIGN.md "Tunnels and health checks".
public struct TunnelSpec: Equatable, Sendable {
    public var name: String
    public var description: String?
    public var customerEndpoint: IPAddress
    public var moatEndpoint: IPAddress
    public var interfaceAddress: CIDR
    public var ttl: Int
    public var mtu: Int
    public var healthCheck: Tunnel.HealthCheck

    public static let defaultTTL = 64
    /// 1500 minus the outer IPv4 header (20) and the GRE header (4).
    public static let maximumMTU = 1476
    public static let minimumMTU = 576
    /// Linux interface names are at most 15 bytes (IFNAMSIZ − 1).
    public static let maximumNameLength = 15

    public init(name: String, description: String? = nil, customerEndpoint: IPAddress, moatEndpoint: IPAddress,
                interfaceAddress: CIDR, ttl: Int = TunnelSpec.defaultTTL, mtu: Int = TunnelSpec.maximumMTU,
                healthCheck: Tunnel.HealthCheck = .init()) {
        self.name = name
        self.description = description
        self.customerEndpoint = customerEndpoint
        self.moatEndpoint = moatEndpoint
        self.interfaceAddress = interfaceAddress
        self.ttl = ttl
        self.mtu = mtu
        self.healthCheck = healthCheck
    }

    public init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        name = try reader.string("name", maxLength: 64)
        description = try reader.optionalString("description", maxLength: 256)
        customerEndpoint = try reader.address("customer_endpoint")
        moatEndpoint = try reader.address("moat_endpoint")
        interfaceAddress = try reader.cidr("interface_address")
        ttl = try reader.optionalInt("ttl", in: 1...255) ?? TunnelSpec.defaultTTL
        mtu = try TunnelSpec.readMTU(&reader) ?? TunnelSpec.maximumMTU
        healthCheck = Tunnel.HealthCheck()
        if var nested = try reader.optionalObject("health_check") { try healthCheck.read(&nested) }
        try reader.finish()
        try validate()
    }

    public mutating func apply(patch json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        if let name = try reader.optionalString("name", maxLength: 64) { self.name = name }
        if reader.has("description") { description = try reader.optionalString("description", maxLength: 256) }
        if let address = try reader.optionalAddress("customer_endpoint") { customerEndpoint = address }
        if let address = try reader.optionalAddress("moat_endpoint") { moatEndpoint = address }
        if let cidr = try reader.optionalCIDR("interface_address") { interfaceAddress = cidr }
        if let ttl = try reader.optionalInt("ttl", in: 1...255) { self.ttl = ttl }
        if let mtu = try TunnelSpec.readMTU(&reader) { self.mtu = mtu }
        if var nested = try reader.optionalObject("health_check") { try healthCheck.read(&nested) }
        try reader.finish()
        try validate()
    }

    static func readMTU(_ reader: inout ObjectReader) throws(ValidationError) -> Int? {
        guard let mtu = try reader.optionalInt("mtu", in: Int.min...Int.max) else { return nil }
        guard mtu >= minimumMTU else {
            throw ValidationError(.outOfRange, "MTU \(mtu) is below the minimum of \(minimumMTU)", field: "mtu")
        }
        guard mtu <= maximumMTU else {
            throw ValidationError(.outOfRange, "MTU \(mtu) is above \(maximumMTU): 1500 minus 24 bytes of IPv4 and GRE headers", field: "mtu")
        }
        return mtu
    }

    func validate() throws(ValidationError) {
        guard NameRules.isSlug(name, maxLength: TunnelSpec.maximumNameLength) else {
            throw ValidationError(.invalidValue, "'\(name)' is not a tunnel name: 1-\(TunnelSpec.maximumNameLength) letters, digits, '-' or '_'", field: "name")
        }
        guard interfaceAddress.isIPv4, interfaceAddress.length == 31 || interfaceAddress.length == 30 else {
            throw ValidationError(.invalidCIDR, "\(interfaceAddress) must be an IPv4 /31 or /30, one address for each side of the tunnel", field: "interface_address")
        }
        // The edge's userspace GRE runs over IPv4 (inner packets may be IPv4 or IPv6).
        guard customerEndpoint.isIPv4 else {
            throw ValidationError(.invalidAddress, "customer_endpoint \(customerEndpoint) is IPv6: tunnel endpoints must be IPv4 (GRE over IPv6 is not supported yet)", field: "customer_endpoint")
        }
        guard moatEndpoint.isIPv4 else {
            throw ValidationError(.invalidAddress, "moat_endpoint \(moatEndpoint) is IPv6: tunnel endpoints must be IPv4 (GRE over IPv6 is not supported yet)", field: "moat_endpoint")
        }
        if let target = healthCheck.target, target.isIPv4 != customerEndpoint.isIPv4 {
            throw ValidationError(.invalidAddress, "the health check target must be of the endpoints' address family", field: "health_check.target")
        }
    }

    /// The two usable addresses of an interface prefix.
    public static func sides(of cidr: CIDR) -> (edge: IPAddress, customer: IPAddress) {
        cidr.length == 31
            ? (cidr.address, cidr.address.advanced(by: 1))
            : (cidr.address.advanced(by: 1), cidr.address.advanced(by: 2))
    }
}
