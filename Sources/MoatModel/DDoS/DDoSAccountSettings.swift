/// An account's DDoS settings: overrides of the operator's managed rules and detection, its own
/// thresholds per prefix, and the TCP services that get a SYN proxy.
public struct DDoSAccountSettings: Codable, Equatable, Sendable {
    /// The managed-rule fields this account overrides, as given (validated against ManagedRules).
    public var managed: JSONValue?
    public var detection: DetectionThreshold?
    /// Thresholds for parts of the account's address space (the longest match wins).
    public var thresholds: [PrefixThreshold]
    public var synproxy: [ProtectedService]
    /// nil: the operator's choice.
    public var automaticMitigation: Bool?

    enum CodingKeys: String, CodingKey {
        case managed, detection, thresholds, synproxy
        case automaticMitigation = "automatic_mitigation"
    }

    public init(managed: JSONValue? = nil, detection: DetectionThreshold? = nil, thresholds: [PrefixThreshold] = [],
                synproxy: [ProtectedService] = [], automaticMitigation: Bool? = nil) {
        self.managed = managed
        self.detection = detection
        self.thresholds = thresholds
        self.synproxy = synproxy
        self.automaticMitigation = automaticMitigation
    }

    /// `PUT /v1/accounts/{account}/ddos`: the whole override set.
    public init(json: JSONValue) throws(ValidationError) {
        self.init()
        var reader = try ObjectReader(json)
        if let value = reader.raw("managed") {
            var check = ManagedRules()
            var object = try ObjectReader(value, path: "managed")
            try check.read(&object)
            managed = value
        }
        if var object = try reader.optionalObject("detection") {
            var threshold = DetectionThreshold(packetsPerSecond: nil, bitsPerSecond: nil)
            try threshold.read(&object)
            detection = threshold
        }
        if let entries = try reader.optionalObjects("thresholds", maxCount: 256, { (entry: inout ObjectReader) throws(ValidationError) -> PrefixThreshold in
            let prefix = try entry.cidr("prefix")
            var threshold = DetectionThreshold(packetsPerSecond: nil, bitsPerSecond: nil)
            try threshold.read(&entry)
            return PrefixThreshold(prefix: prefix, threshold: threshold)
        }) { thresholds = entries }
        if let entries = try reader.optionalObjects("synproxy", maxCount: 256, { (entry: inout ObjectReader) throws(ValidationError) -> ProtectedService in
            let prefix = try entry.cidr("prefix")
            guard let ports = try entry.optionalIntArray("ports", in: 1...65_535, maxCount: 64), !ports.isEmpty else {
                throw ValidationError(.missingField, "'ports' is required: the TCP ports to protect", field: entry.fieldPath("ports"))
            }
            return ProtectedService(prefix: prefix, ports: Array(Set(ports)).sorted())
        }) { synproxy = entries }
        automaticMitigation = try reader.optionalBool("automatic_mitigation")
        try reader.finish()
    }

    /// The operator's managed rules with this account's overrides.
    public func effectiveManaged(over base: ManagedRules) -> ManagedRules {
        var rules = base
        if let managed, var reader = try? ObjectReader(managed, path: "managed") { try? rules.read(&reader) }
        return rules
    }

    /// Prefixes named here that are not inside any of `owned` (the account's prefixes).
    public func foreignPrefixes(owned: [CIDR]) -> [(field: String, prefix: CIDR)] {
        var foreign: [(String, CIDR)] = []
        for (index, entry) in thresholds.enumerated() where !owned.contains(where: { $0.contains(entry.prefix) }) {
            foreign.append(("thresholds[\(index)].prefix", entry.prefix))
        }
        for (index, entry) in synproxy.enumerated() where !owned.contains(where: { $0.contains(entry.prefix) }) {
            foreign.append(("synproxy[\(index)].prefix", entry.prefix))
        }
        return foreign
    }
}

public struct PrefixThreshold: Codable, Equatable, Sendable {
    public var prefix: CIDR
    public var threshold: DetectionThreshold

    enum CodingKeys: String, CodingKey {
        case prefix
        case packetsPerSecond = "packets_per_second"
        case bitsPerSecond = "bits_per_second"
    }

    public init(prefix: CIDR, threshold: DetectionThreshold) {
        self.prefix = prefix
        self.threshold = threshold
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        prefix = try container.decode(CIDR.self, forKey: .prefix)
        threshold = DetectionThreshold(packetsPerSecond: try container.decodeIfPresent(Int.self, forKey: .packetsPerSecond),
                                       bitsPerSecond: try container.decodeIfPresent(Int.self, forKey: .bitsPerSecond))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(prefix, forKey: .prefix)
        try container.encodeIfPresent(threshold.packetsPerSecond, forKey: .packetsPerSecond)
        try container.encodeIfPresent(threshold.bitsPerSecond, forKey: .bitsPerSecond)
    }
}

/// TCP ports on addresses of a prefix whose handshakes the edge answers itself (SYN proxy):
/// a SYN flood then never reaches the host.
public struct ProtectedService: Codable, Equatable, Sendable {
    public var prefix: CIDR
    public var ports: [Int]

    public init(prefix: CIDR, ports: [Int]) {
        self.prefix = prefix
        self.ports = ports
    }
}
