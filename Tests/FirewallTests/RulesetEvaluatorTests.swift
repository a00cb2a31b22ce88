@testable import Firewall
import MoatModel
import Testing

@Suite struct RulesetEvaluatorTests {
    private func rule(_ text: String, _ action: Action) throws -> RulesetEvaluator.Rule {
        RulesetEvaluator.Rule(try Checker().check(text), action)
    }

    @Test func firstTerminatingRuleWinsAndLogContinues() throws {
        var rules = RulesetEvaluator(rules: [
            try rule("ip.proto == tcp", .log),
            try rule("tcp.dstport == 22 and ip.src == 192.0.2.1", .allow),
            try rule("tcp.dstport == 22", .block),
        ])
        let ssh = PacketBuilder(transport: .tcp(source: 1, destination: 22, flags: 2))
        var stranger = ssh
        stranger.source = "203.0.113.9"
        let dns = PacketBuilder(transport: .udp(source: 1, destination: 53))
        #expect(rules.evaluate(ssh.bytes) == .init(verdict: .allow, ruleIndex: 1))
        #expect(rules.evaluate(stranger.bytes) == .init(verdict: .block, ruleIndex: 2))
        #expect(rules.evaluate(dns.bytes) == .init(verdict: .allow, ruleIndex: nil))
        #expect(rules.hits == [2, 1, 1])
    }

    @Test func rateLimitPerSourceWithBurst() throws {
        var rules = RulesetEvaluator(rules: [try rule("udp.dstport == 53", .rateLimit(packetsPerSecond: 2, burst: 1))])
        let a = PacketBuilder(transport: .udp(source: 1, destination: 53))
        var b = a
        b.source = "192.0.2.2"
        // Capacity rate + burst = 3 packets at once, then one more every 0.5 s.
        let verdicts = (0..<4).map { _ in rules.evaluate(a.bytes, now: 10).verdict }
        #expect(verdicts == [.allow, .allow, .allow, .block])
        #expect(rules.evaluate(b.bytes, now: 10).verdict == .allow)
        #expect(rules.evaluate(a.bytes, now: 10.5) == .init(verdict: .allow, ruleIndex: nil))
        #expect(rules.evaluate(a.bytes, now: 10.5) == .init(verdict: .block, ruleIndex: 0))
        #expect(rules.hits == [2])
    }
}
