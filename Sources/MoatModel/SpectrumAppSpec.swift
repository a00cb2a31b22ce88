/// The fields an account sets on a Spectrum app, with their defaults and rules.
public struct SpectrumAppSpec: Equatable, Sendable {
    public var name: String
    public var proto: SpectrumApp.TransportProtocol
    public var edgeAddress: IPAddress?
    public var ports: SpectrumApp.PortRange
    public var origins: [SpectrumApp.Origin]
    public var loadBalancing: SpectrumApp.LoadBalancing
    public var proxyProtocol: SpectrumApp.ProxyProtocol
    public var ipRules: [SpectrumApp.IPRule]
    public var idleTimeout: Int
    public var sourceLimits: SpectrumApp.SourceLimits
    public var locations: [String]

    public static let defaultTCPIdleTimeout = 300
    public static let defaultUDPIdleTimeout = 30
    public static let idleTimeouts = 1...86_400

    public init(name: String, proto: SpectrumApp.TransportProtocol, edgeAddress: IPAddress? = nil, ports: SpectrumApp.PortRange,
                origins: [SpectrumApp.Origin], loadBalancing: SpectrumApp.LoadBalancing = .roundRobin,
                proxyProtocol: SpectrumApp.ProxyProtocol = .off, ipRules: [SpectrumApp.IPRule] = [], idleTimeout: Int? = nil,
                sourceLimits: SpectrumApp.SourceLimits = .init(), locations: [String] = []) {
        self.name = name
        self.proto = proto
        self.edgeAddress = edgeAddress
        self.ports = ports
        self.origins = origins
        self.loadBalancing = loadBalancing
        self.proxyProtocol = proxyProtocol
        self.ipRules = ipRules
        self.idleTimeout = idleTimeout ?? (proto == .tcp ? Self.defaultTCPIdleTimeout : Self.defaultUDPIdleTimeout)
        self.sourceLimits = sourceLimits
        self.locations = locations
    }

    public init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        for required in ["name", "protocol", "ports", "origins"] where !reader.has(required) { throw reader.missing(required) }
        let proto = try reader.requiredEnum("protocol", SpectrumApp.TransportProtocol.self)
        self.init(name: "", proto: proto, ports: .init(low: 1, high: 1), origins: [])
        try read(&reader)
        try reader.finish()
        try validate()
    }

    public mutating func apply(patch json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        if reader.has("protocol") {
            throw ValidationError(.invalidValue, "an app's protocol cannot change; create another app", field: "protocol")
        }
        try read(&reader)
        try reader.finish()
        try validate()
    }

    private mutating func read(_ reader: inout ObjectReader) throws(ValidationError) {
        if let name = try reader.optionalString("name", maxLength: 64) { self.name = name }
        if reader.has("edge_address") { edgeAddress = try reader.optionalAddress("edge_address") }
        if let text = try reader.optionalString("ports", maxLength: 11) {
            guard let range = SpectrumApp.PortRange(text) else {
                throw ValidationError(.invalidValue, "'\(text)' is not a port or range: write 25565 or 1000-2000, ports 1-65535", field: "ports")
            }
            ports = range
        }
        if let origins = try reader.optionalObjects("origins", maxCount: 64, { (entry: inout ObjectReader) throws(ValidationError) -> SpectrumApp.Origin in
            let address = try entry.address("address")
            let text = try entry.string("port", maxLength: 11)
            guard let range = SpectrumApp.PortRange(text) else {
                throw ValidationError(.invalidValue, "'\(text)' is not a port or range (1-65535)", field: entry.fieldPath("port"))
            }
            let weight = try entry.optionalInt("weight", in: 1...1000) ?? 1
            return SpectrumApp.Origin(address: address, ports: range, weight: weight)
        }) { self.origins = origins }
        if let mode = try reader.optionalEnum("load_balancing", SpectrumApp.LoadBalancing.self) { loadBalancing = mode }
        if let mode = try reader.optionalEnum("proxy_protocol", SpectrumApp.ProxyProtocol.self) { proxyProtocol = mode }
        if let rules = try reader.optionalObjects("ip_rules", maxCount: 1000, { (entry: inout ObjectReader) throws(ValidationError) -> SpectrumApp.IPRule in
            SpectrumApp.IPRule(action: try entry.requiredEnum("action", SpectrumApp.IPRule.Action.self), cidr: try entry.cidr("cidr"))
        }) { ipRules = rules }
        if let timeout = try reader.optionalInt("idle_timeout", in: Self.idleTimeouts) { idleTimeout = timeout }
        if var limits = try reader.optionalObject("source_limits") {
            if limits.has("max_connections") { sourceLimits.maxConnections = try limits.optionalInt("max_connections", in: 1...1_000_000) }
            if limits.has("new_connections_per_second") {
                sourceLimits.newConnectionsPerSecond = try limits.optionalInt("new_connections_per_second", in: 1...1_000_000)
            }
            try limits.finish()
        }
        if let locations = try reader.optionalStringArray("locations", maxCount: 256) { self.locations = locations }
    }

    func validate() throws(ValidationError) {
        guard LocationSpec.isValidID(name) else {
            throw ValidationError(.invalidValue, "'\(name)' is not an app name: 1-32 lowercase letters, digits and '-', starting with a letter", field: "name")
        }
        guard !origins.isEmpty else { throw ValidationError(.invalidValue, "an app needs at least one origin", field: "origins") }
        for (index, origin) in origins.enumerated() where origin.ports.count != 1 && origin.ports.count != ports.count {
            throw ValidationError(.invalidValue, "origin ports \(origin.ports) (\(origin.ports.count)) must be one port or as many as the app's \(ports) (\(ports.count))",
                                  field: "origins[\(index)].port")
        }
        if proxyProtocol == .simple && proto == .tcp {
            throw ValidationError(.invalidValue, "the Simple Proxy Protocol is for UDP; TCP apps use v1 or v2", field: "proxy_protocol")
        }
        if proxyProtocol == .v1 && proto == .udp {
            throw ValidationError(.invalidValue, "PROXY v1 is text for TCP; UDP apps use v2 or simple", field: "proxy_protocol")
        }
        for (index, location) in locations.enumerated() where !LocationSpec.isValidID(location) {
            throw ValidationError(.invalidValue, "'\(location)' is not a location id", field: "locations[\(index)]")
        }
    }
}
