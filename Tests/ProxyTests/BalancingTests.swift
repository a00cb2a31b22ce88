import MoatModel
import Proxy
import Testing

/// Origin choice and health: weights, stickiness, spreading, and failover order.
@Suite struct BalancingTests {
    struct Fixed: RandomNumberGenerator {
        var state: UInt64 = 42
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state
        }
    }

    static let client = IPAddress("198.51.100.7")!

    @Test func roundRobinFollowsTheWeightsAndSkipsUnhealthyOrigins() {
        var selector = OriginSelector(mode: .roundRobin, weights: [1, 3])
        var random = Fixed()
        var counts = [0, 0]
        for _ in 0..<400 { counts[selector.order(client: Self.client, healthy: [true, true], random: &random)[0]] += 1 }
        #expect(counts == [100, 300])
        let order = selector.order(client: Self.client, healthy: [false, true], random: &random)
        #expect(order == [1, 0], "the unhealthy origin is tried last")
        // With none healthy, every origin is still tried rather than none.
        #expect(Set(selector.order(client: Self.client, healthy: [false, false], random: &random)) == [0, 1])
    }

    @Test func hashKeepsAClientOnItsOriginAndMovesOnlyTheClientsOfAnOriginThatLeaves() {
        var selector = OriginSelector(mode: .hash, weights: [1, 1, 1, 1])
        var random = Fixed()
        let clients = (1...400).map { IPAddress("10.0.\($0 / 250).\($0 % 250)")! }
        let before = clients.map { selector.order(client: $0, healthy: [true, true, true, true], random: &random)[0] }
        #expect(before == clients.map { selector.order(client: $0, healthy: [true, true, true, true], random: &random)[0] })
        #expect(Set(before).count == 4)
        let after = clients.map { selector.order(client: $0, healthy: [true, true, false, true], random: &random)[0] }
        for (old, new) in zip(before, after) where old != 2 { #expect(old == new) }
    }

    @Test func leastConnectionsAndRandomTwoPreferTheLessLoadedOrigin() {
        var least = OriginSelector(mode: .leastConnections, weights: [1, 1, 1])
        var random = Fixed()
        least.opened(0); least.opened(0); least.opened(2)
        #expect(least.order(client: Self.client, healthy: [true, true, true], random: &random)[0] == 1)
        var two = OriginSelector(mode: .randomTwo, weights: [1, 1])
        for _ in 0..<50 { two.opened(0) }
        let picks = (0..<100).map { _ in two.order(client: Self.client, healthy: [true, true], random: &random)[0] }
        #expect(picks.filter { $0 == 1 }.count > 60, "the idle origin wins whenever it is one of the two")
    }

    @Test func healthFallsAfterFallFailuresAndRisesAfterRiseSuccesses() {
        var health = OriginHealth(rise: 2, fall: 3)
        #expect(!health.record(success: false) && !health.record(success: false) && health.healthy)
        #expect(health.record(success: false) && !health.healthy)
        #expect(!health.record(success: true) && !health.healthy)
        #expect(health.record(success: true) && health.healthy)
        // A success in between resets the count.
        health.record(success: false); health.record(success: false); health.record(success: true); health.record(success: false)
        #expect(health.healthy)
    }
}
