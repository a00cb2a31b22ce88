import MoatModel

/// Runs an account's ordered ruleset on packets: first terminating rule wins, default allow.
///
/// Rate limits keep a token bucket per (rule, source address); time is passed in, so tests
/// are deterministic. The bucket follows the kernel's `nft_limit`: it holds
/// `packetsPerSecond + burst` packets, starts full, and refills at `packetsPerSecond`.
package struct RulesetEvaluator: Sendable {
    package struct Rule: Hashable, Sendable {
        package var expression: CheckedExpression
        package var action: Action

        package init(_ expression: CheckedExpression, _ action: Action) {
            self.expression = expression
            self.action = action
        }
    }

    package enum Verdict: Hashable, Sendable { case allow, block }

    package struct Decision: Hashable, Sendable {
        package var verdict: Verdict
        /// The index of the rule that decided; nil for the default allow.
        package var ruleIndex: Int?
    }

    package let rules: [Rule]
    package let evaluator: Evaluator
    /// Per rule: how many times its action fired (matches for block/allow/log; packets
    /// dropped over the limit for rate_limit), like the nft counter of that rule.
    package private(set) var hits: [Int]
    private var buckets: [Int: [IPAddress: Bucket]] = [:]

    private struct Bucket: Sendable {
        var tokens: Double
        var updated: Double
    }

    package init(rules: [Rule], lists: [String: [CIDR]] = [:]) {
        self.rules = rules
        self.evaluator = Evaluator(lists: lists)
        self.hits = Array(repeating: 0, count: rules.count)
    }

    /// Decides one packet at time `now` (seconds, any monotonic origin).
    package mutating func evaluate(_ bytes: [UInt8], now: Double = 0) -> Decision {
        let packet = Packet(bytes: bytes)
        for (index, rule) in rules.enumerated() where evaluator.matches(rule.expression, packet: packet) {
            switch rule.action {
            case .block:
                hits[index] += 1
                return Decision(verdict: .block, ruleIndex: index)
            case .allow:
                hits[index] += 1
                return Decision(verdict: .allow, ruleIndex: index)
            case .log:
                hits[index] += 1
            case .rateLimit(let rate, let burst):
                // A packet that cannot be parsed has no source: nothing to key the limit on.
                guard let source = packet?.source else { continue }
                if overLimit(rule: index, source: source, rate: Double(rate), capacity: Double(rate) + Double(burst), now: now) {
                    hits[index] += 1
                    return Decision(verdict: .block, ruleIndex: index)
                }
            }
        }
        return Decision(verdict: .allow, ruleIndex: nil)
    }

    private mutating func overLimit(rule: Int, source: IPAddress, rate: Double, capacity: Double, now: Double) -> Bool {
        var bucket = buckets[rule]?[source] ?? Bucket(tokens: capacity, updated: now)
        bucket.tokens = min(capacity, bucket.tokens + max(0, now - bucket.updated) * rate)
        bucket.updated = now
        let over = bucket.tokens < 1
        if !over { bucket.tokens -= 1 }
        buckets[rule, default: [:]][source] = bucket
        return over
    }
}
