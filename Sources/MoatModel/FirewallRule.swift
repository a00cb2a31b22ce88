import Foundation

/// One rule of an account's ordered firewall: an expression in the rule language and what to do
/// with the packets it matches. The first matching terminating rule wins; the default is allow.
public struct FirewallRule: Codable, Equatable, Sendable {
    public enum Action: String, Codable, CaseIterable, Sendable {
        /// Drop, stop evaluating.
        case block
        /// Let through, stop evaluating.
        case allow
        /// Count and sample, continue with the next rule.
        case log
        /// Drop what exceeds `rate_limit` per source address, let the rest continue.
        case rateLimit = "rate_limit"
    }

    /// Per source address: packets per second, and the burst above that rate.
    public struct RateLimit: Codable, Equatable, Sendable {
        public var packetsPerSecond: Int
        public var burst: Int

        enum CodingKeys: String, CodingKey {
            case burst
            case packetsPerSecond = "packets_per_second"
        }

        public init(packetsPerSecond: Int, burst: Int) {
            self.packetsPerSecond = packetsPerSecond
            self.burst = burst
        }
    }

    public var id: String
    public var accountID: String
    public var expression: String
    public var action: Action
    public var rateLimit: RateLimit?
    public var description: String?
    public var enabled: Bool
    /// 1-based place in the account's ruleset.
    public var position: Int
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, expression, action, description, enabled, position
        case accountID = "account_id"
        case rateLimit = "rate_limit"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(id: String = Identifier.make("fwr"), accountID: String, spec: FirewallRuleSpec, position: Int, at date: Date) {
        self.id = id
        self.accountID = accountID
        self.expression = spec.expression
        self.action = spec.action
        self.rateLimit = spec.rateLimit
        self.description = spec.description
        self.enabled = spec.enabled
        self.position = position
        self.createdAt = date
        self.updatedAt = date
    }

    public var spec: FirewallRuleSpec {
        FirewallRuleSpec(expression: expression, action: action, rateLimit: rateLimit, description: description, enabled: enabled, position: position)
    }
}

/// The fields a caller sets on a rule. The expression's syntax and types are checked by core
/// against the rule language and the account's lists.
public struct FirewallRuleSpec: Equatable, Sendable {
    public var expression: String
    public var action: FirewallRule.Action
    public var rateLimit: FirewallRule.RateLimit?
    public var description: String?
    public var enabled: Bool
    /// Where to put the rule; nil appends it.
    public var position: Int?

    public static let maximumExpressionBytes = 8192

    public init(expression: String, action: FirewallRule.Action, rateLimit: FirewallRule.RateLimit? = nil,
                description: String? = nil, enabled: Bool = true, position: Int? = nil) {
        self.expression = expression
        self.action = action
        self.rateLimit = rateLimit
        self.description = description
        self.enabled = enabled
        self.position = position
    }

    public init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        expression = try reader.string("expression", maxLength: FirewallRuleSpec.maximumExpressionBytes)
        guard let action = try reader.optionalEnum("action", FirewallRule.Action.self) else { throw reader.missing("action") }
        self.action = action
        rateLimit = try FirewallRuleSpec.readRateLimit(&reader)
        description = try reader.optionalString("description", maxLength: 256)
        enabled = try reader.optionalBool("enabled") ?? true
        position = try reader.optionalInt("position", in: 1...100_000)
        try reader.finish()
        try validate()
    }

    public mutating func apply(patch json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        if let expression = try reader.optionalString("expression", maxLength: FirewallRuleSpec.maximumExpressionBytes) { self.expression = expression }
        if let action = try reader.optionalEnum("action", FirewallRule.Action.self) {
            self.action = action
            if action != .rateLimit { rateLimit = nil }
        }
        if reader.has("rate_limit") { rateLimit = try FirewallRuleSpec.readRateLimit(&reader) }
        if reader.has("description") { description = try reader.optionalString("description", maxLength: 256) }
        if let enabled = try reader.optionalBool("enabled") { self.enabled = enabled }
        if let position = try reader.optionalInt("position", in: 1...100_000) { self.position = position }
        try reader.finish()
        try validate()
    }

    static func readRateLimit(_ reader: inout ObjectReader) throws(ValidationError) -> FirewallRule.RateLimit? {
        guard var nested = try reader.optionalObject("rate_limit") else { return nil }
        let rate = try nested.int("packets_per_second", in: 1...10_000_000)
        let burst = try nested.optionalInt("burst", in: 0...10_000_000) ?? rate
        try nested.finish()
        return FirewallRule.RateLimit(packetsPerSecond: rate, burst: burst)
    }

    func validate() throws(ValidationError) {
        guard !expression.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ValidationError(.invalidValue, "must not be empty", field: "expression")
        }
        if action == .rateLimit && rateLimit == nil {
            throw ValidationError(.missingField, "a rate_limit rule needs rate_limit {packets_per_second, burst}", field: "rate_limit")
        }
        if action != .rateLimit && rateLimit != nil {
            throw ValidationError(.invalidValue, "rate_limit applies only to the rate_limit action", field: "rate_limit")
        }
    }
}

/// A rule as the API lists it: its fields and the packets it matched, per location.
public struct FirewallRuleWithHits: Codable, Equatable, Sendable {
    public var rule: FirewallRule
    public var hits: [String: UInt64]

    enum CodingKeys: String, CodingKey { case hits }

    public init(rule: FirewallRule, hits: [String: UInt64]) {
        self.rule = rule
        self.hits = hits
    }

    public init(from decoder: any Decoder) throws {
        rule = try FirewallRule(from: decoder)
        hits = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent([String: UInt64].self, forKey: .hits) ?? [:]
    }

    public func encode(to encoder: any Encoder) throws {
        try rule.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(hits, forKey: .hits)
    }
}
