import MoatModel
import Proxy
import Testing

/// IP rules in order with default allow, and per-source limits that hold a flood from one
/// source while others get through; memory stays bounded.
@Suite struct AccessPolicyTests {
    static let now = ContinuousClock.now

    @Test func theFirstMatchingRuleDecides() {
        let policy = AccessPolicy(rules: [.init(action: .allow, cidr: CIDR("10.1.0.0/16")!), .init(action: .block, cidr: CIDR("10.0.0.0/8")!)],
                                  limits: .init())
        #expect(policy.ruleVerdict(IPAddress("10.1.2.3")!) == .allow)
        #expect(policy.ruleVerdict(IPAddress("10.2.2.3")!) == .blocked)
        #expect(policy.ruleVerdict(IPAddress("192.0.2.1")!) == .allow, "default allow")
    }

    @Test func aSourceIsHeldToItsLimitsAndOthersAreNot() {
        var policy = AccessPolicy(rules: [], limits: .init(maxConnections: 3, newConnectionsPerSecond: 5))
        let flood = IPAddress("203.0.113.66")!
        let verdicts = (0..<10).map { _ in policy.admit(flood, at: Self.now) }
        #expect(verdicts.filter { $0 == .allow }.count == 3, "\(verdicts)")
        #expect(policy.admit(IPAddress("198.51.100.1")!, at: Self.now) == .allow)
        // Closing connections frees places, and the rate refills with time.
        for _ in 0..<3 { policy.release(flood) }
        let later = Self.now + .seconds(1)
        #expect((0..<3).map { _ in policy.admit(flood, at: later) } == [.allow, .allow, .allow])
        // Five new per second: the bucket is empty until time passes.
        var rate = AccessPolicy(rules: [], limits: .init(newConnectionsPerSecond: 5))
        let burst = (0..<8).map { _ -> AccessPolicy.Verdict in
            let verdict = rate.admit(flood, at: Self.now)
            rate.release(flood)
            return verdict
        }
        #expect(burst.filter { $0 == .allow }.count == 5)
        #expect(rate.admit(flood, at: Self.now + .milliseconds(400)) == .allow, "0.4 s refills two")
    }

    @Test func theSourceTableIsBounded() {
        var policy = AccessPolicy(rules: [], limits: .init(maxConnections: 1), maxSources: 100)
        for index in 0..<1_000 {
            let client = IPAddress.v4(0x0A00_0000 + UInt32(index))
            _ = policy.admit(client, at: Self.now + .seconds(index))
            policy.release(client)
        }
        #expect(policy.trackedSources <= 100)
    }
}
