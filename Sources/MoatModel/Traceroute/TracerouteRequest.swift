/// `POST /v1/accounts/{account}/traceroutes`: what to trace, from where and how.
public struct TracerouteRequest: Equatable, Sendable {
    public static let maximumTargets = 10

    /// Addresses or host names, as given.
    public var targets: [String]
    /// Location IDs; empty means every location.
    public var locations: [String]
    public var options: TracerouteOptions

    public init(targets: [String], locations: [String] = [], options: TracerouteOptions = TracerouteOptions()) {
        self.targets = targets
        self.locations = locations
        self.options = options
    }

    public init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        guard reader.has("targets") else { throw reader.missing("targets") }
        guard case .array(let list)? = reader.raw("targets") else {
            throw ValidationError(.invalidType, "expected an array of addresses or host names", field: "targets")
        }
        guard !list.isEmpty else { throw ValidationError(.outOfRange, "name at least one target", field: "targets") }
        guard list.count <= Self.maximumTargets else {
            throw ValidationError(.outOfRange, "at most \(Self.maximumTargets) targets per traceroute, got \(list.count)", field: "targets")
        }
        var targets: [String] = []
        for (index, item) in list.enumerated() {
            guard case .string(let text) = item, !text.isEmpty, text.count <= 253 else {
                throw ValidationError(.invalidType, "expected an address or a host name (at most 253 characters)", field: "targets[\(index)]")
            }
            guard !targets.contains(text) else {
                throw ValidationError(.invalidValue, "'\(text)' is listed twice", field: "targets[\(index)]")
            }
            targets.append(text)
        }
        self.targets = targets
        locations = try reader.optionalStringArray("locations", maxCount: 1000) ?? []
        for (index, location) in locations.enumerated() where !LocationSpec.isValidID(location) {
            throw ValidationError(.invalidValue, "'\(location)' is not a location id", field: "locations[\(index)]")
        }
        options = try TracerouteOptions(json: reader.raw("options"))
        try reader.finish()
    }
}
