import Foundation

/// A static route: traffic for `prefix` goes to the tunnel whose customer-side address is
/// `nexthop`. The lowest effective priority wins; equal priorities share flows by weight.
public struct Route: Codable, Equatable, Sendable {
    public var id: String
    public var accountID: String
    public var prefix: CIDR
    public var nexthop: IPAddress
    /// The tunnel the next hop belongs to, resolved by core when the route is written.
    public var tunnelID: String
    public var priority: Int
    public var weight: Int
    public var scope: Scope
    public var description: String?
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, prefix, nexthop, priority, weight, scope, description
        case accountID = "account_id"
        case tunnelID = "tunnel_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(id: String = Identifier.make("rte"), accountID: String, spec: RouteSpec, tunnelID: String, at date: Date) {
        self.id = id
        self.accountID = accountID
        self.prefix = spec.prefix
        self.nexthop = spec.nexthop
        self.tunnelID = tunnelID
        self.priority = spec.priority
        self.weight = spec.weight
        self.scope = spec.scope
        self.description = spec.description
        self.createdAt = date
        self.updatedAt = date
    }

    public var spec: RouteSpec {
        RouteSpec(prefix: prefix, nexthop: nexthop, priority: priority, weight: weight, scope: scope, description: description)
    }

    /// Where a route applies. Empty lists mean every location.
    public struct Scope: Codable, Equatable, Sendable {
        public var locations: [String]
        public var regions: [String]

        public init(locations: [String] = [], regions: [String] = []) {
            self.locations = locations
            self.regions = regions
        }

        public var isGlobal: Bool { locations.isEmpty && regions.isEmpty }

        /// A location serves a route when the scope is global or names the location or its region.
        public func includes(location: String, region: String) -> Bool {
            isGlobal || locations.contains(location) || regions.contains(region)
        }
    }
}

public struct RouteSpec: Equatable, Sendable {
    public var prefix: CIDR
    public var nexthop: IPAddress
    public var priority: Int
    public var weight: Int
    public var scope: Route.Scope
    public var description: String?

    public static let priorities = 0...1_000_000
    public static let weights = 1...256
    public static let defaultWeight = 100

    public init(prefix: CIDR, nexthop: IPAddress, priority: Int, weight: Int = RouteSpec.defaultWeight,
                scope: Route.Scope = .init(), description: String? = nil) {
        self.prefix = prefix
        self.nexthop = nexthop
        self.priority = priority
        self.weight = weight
        self.scope = scope
        self.description = description
    }

    public init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        prefix = try reader.cidr("prefix")
        nexthop = try reader.address("nexthop")
        priority = try reader.int("priority", in: RouteSpec.priorities)
        weight = try reader.optionalInt("weight", in: RouteSpec.weights) ?? RouteSpec.defaultWeight
        scope = Route.Scope()
        if var nested = try reader.optionalObject("scope") { scope = try RouteSpec.readScope(&nested) }
        description = try reader.optionalString("description", maxLength: 256)
        try reader.finish()
    }

    public mutating func apply(patch json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        if let prefix = try reader.optionalCIDR("prefix") { self.prefix = prefix }
        if let nexthop = try reader.optionalAddress("nexthop") { self.nexthop = nexthop }
        if let priority = try reader.optionalInt("priority", in: RouteSpec.priorities) { self.priority = priority }
        if let weight = try reader.optionalInt("weight", in: RouteSpec.weights) { self.weight = weight }
        if reader.has("scope") {
            if var nested = try reader.optionalObject("scope") { scope = try RouteSpec.readScope(&nested) } else { scope = .init() }
        }
        if reader.has("description") { description = try reader.optionalString("description", maxLength: 256) }
        try reader.finish()
    }

    static func readScope(_ reader: inout ObjectReader) throws(ValidationError) -> Route.Scope {
        let locations = try reader.optionalStringArray("locations", maxCount: 512) ?? []
        let regions = try reader.optionalStringArray("regions", maxCount: 64) ?? []
        try reader.finish()
        for (index, location) in locations.enumerated() where !LocationSpec.isValidID(location) {
            throw ValidationError(.invalidValue, "'\(location)' is not a location id", field: "scope.locations[\(index)]")
        }
        for (index, region) in regions.enumerated() where !LocationSpec.isValidRegion(region) {
            throw ValidationError(.invalidValue, "'\(region)' is not a region code", field: "scope.regions[\(index)]")
        }
        return Route.Scope(locations: unique(locations), regions: unique(regions))
    }

    /// Drops repeated entries, keeping the caller's order.
    static func unique(_ items: [String]) -> [String] {
        var seen: Set<String> = []
        return items.filter { seen.insert($0).inserted }
    }
}
