/// The operator's DDoS protection settings, for every account unless an account overrides a
/// part (`DDoSAccountSettings`): the managed rules, how packets are sampled, when a
/// destination counts as attacked, and how mitigations behave.
public struct DDoSSettings: Codable, Equatable, Sendable {
    /// One packet in `sampleRate` addressed to a protected prefix goes to the detector.
    public var sampleRate: Int
    public var managed: ManagedRules
    public var detection: DetectionThreshold
    public var mitigation: MitigationSettings

    public static let sampleRates = 1...65_535

    enum CodingKeys: String, CodingKey {
        case managed, detection, mitigation
        case sampleRate = "sample_rate"
    }

    public init(sampleRate: Int = 100, managed: ManagedRules = .init(), detection: DetectionThreshold = .defaults,
                mitigation: MitigationSettings = .init()) {
        self.sampleRate = sampleRate
        self.managed = managed
        self.detection = detection
        self.mitigation = mitigation
    }

    /// `PUT /v1/ddos`: the fields given replace the defaults; fields left out keep them.
    public init(json: JSONValue) throws(ValidationError) {
        self.init()
        var reader = try ObjectReader(json)
        if let rate = try reader.optionalInt("sample_rate", in: Self.sampleRates) { sampleRate = rate }
        if var object = try reader.optionalObject("managed") { try managed.read(&object) }
        if var object = try reader.optionalObject("detection") { try detection.read(&object) }
        if var object = try reader.optionalObject("mitigation") { try mitigation.read(&object) }
        try reader.finish()
    }
}

/// When traffic to one destination address is an attack: its packet or bit rate reaches the
/// threshold (and a multiple of its own baseline, so a busy host is judged by its normal).
public struct DetectionThreshold: Codable, Equatable, Sendable {
    public var packetsPerSecond: Int?
    public var bitsPerSecond: Int?

    /// FastNetMon's defaults for a host: 20,000 packets/s or 1 Gbit/s.
    public static let defaults = DetectionThreshold(packetsPerSecond: 20_000, bitsPerSecond: 1_000_000_000)

    enum CodingKeys: String, CodingKey {
        case packetsPerSecond = "packets_per_second"
        case bitsPerSecond = "bits_per_second"
    }

    public init(packetsPerSecond: Int?, bitsPerSecond: Int?) {
        self.packetsPerSecond = packetsPerSecond
        self.bitsPerSecond = bitsPerSecond
    }

    /// An unset rate is written as null: it never triggers.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(packetsPerSecond, forKey: .packetsPerSecond)
        try container.encode(bitsPerSecond, forKey: .bitsPerSecond)
    }

    mutating func read(_ reader: inout ObjectReader) throws(ValidationError) {
        if reader.has("packets_per_second") { packetsPerSecond = try reader.optionalInt("packets_per_second", in: 1...1_000_000_000) }
        if reader.has("bits_per_second") { bitsPerSecond = try reader.optionalInt("bits_per_second", in: 1_000...1_000_000_000_000) }
        try reader.finish()
        guard packetsPerSecond != nil || bitsPerSecond != nil else {
            throw ValidationError(.invalidValue, "set packets_per_second, bits_per_second or both", field: reader.fieldPath("packets_per_second"))
        }
    }
}

/// How automatic mitigations behave.
public struct MitigationSettings: Codable, Equatable, Sendable {
    /// Install a drop rule on detection; false: detect and report only.
    public var automatic: Bool
    /// Seconds a mitigation outlives the end of its attack.
    public var cooldown: Int
    /// Also install every location's mitigations at every other location (through core).
    public var pushToAllLocations: Bool

    public static let cooldowns = 1...86_400

    enum CodingKeys: String, CodingKey {
        case automatic, cooldown
        case pushToAllLocations = "push_to_all_locations"
    }

    public init(automatic: Bool = true, cooldown: Int = 60, pushToAllLocations: Bool = false) {
        self.automatic = automatic
        self.cooldown = cooldown
        self.pushToAllLocations = pushToAllLocations
    }

    mutating func read(_ reader: inout ObjectReader) throws(ValidationError) {
        if let flag = try reader.optionalBool("automatic") { automatic = flag }
        if let seconds = try reader.optionalInt("cooldown", in: Self.cooldowns) { cooldown = seconds }
        if let flag = try reader.optionalBool("push_to_all_locations") { pushToAllLocations = flag }
        try reader.finish()
    }
}
