import Foundation
@testable import MoatCore
import MoatModel
import Testing

/// The pure parts of tunnel health: roll-up arithmetic, an edge's current state and the buckets
/// of a history query.
@Suite struct TunnelHealthRulesTests {
    static let t0 = RFC3339.date("2026-11-23T12:00:00Z")!

    static func sample(_ start: Date, sent: Int, lost: Int, rtt: (Double, Double, Double)? = nil, _ state: TunnelState = .healthy) -> TunnelHealthSample {
        TunnelHealthSample(tunnelID: "tun_1", start: start, end: start + 10, sent: sent, lost: lost,
                           rttMin: rtt?.0, rttAvg: rtt?.1, rttMax: rtt?.2, state: state)
    }

    @Test func theAverageIsWeightedByAnsweredProbesInAnyOrder() {
        let samples = [Self.sample(Self.t0, sent: 100, lost: 0, rtt: (9, 10, 11)),
                       Self.sample(Self.t0, sent: 4, lost: 3, rtt: (100, 100, 100), .degraded),
                       Self.sample(Self.t0, sent: 5, lost: 5, rtt: nil, .down)]
        var forward = TunnelHealthAggregate(samples[0])
        samples.dropFirst().forEach { forward.merge(TunnelHealthAggregate($0)) }
        var backward = TunnelHealthAggregate(samples[2])
        samples.dropLast().reversed().forEach { backward.merge(TunnelHealthAggregate($0)) }
        #expect(forward == backward)
        #expect((forward.sent, forward.lost, forward.state) == (109, 8, TunnelState.down))
        #expect((forward.rttMin, forward.rttMax) == (9, 100))
        // (10·100 + 100·1) / 101, not the mean of the two averages (55).
        #expect(abs((forward.rttAvg ?? 0) - 1100.0 / 101) < 1e-9)
        #expect(abs((forward.loss ?? 0) - 8.0 / 109) < 1e-12)
    }

    @Test func lossesCountedLateNeverExceedAllProbes() {
        // Probes sent in one interval and lost in the next: an RTT with nothing answered "here".
        let late = TunnelHealthAggregate(Self.sample(Self.t0, sent: 2, lost: 3, rtt: (5, 5, 5), .down))
        #expect(late.loss == 1)
        #expect(late.rttAvg == 5)
        #expect(TunnelHealthAggregate(Self.sample(Self.t0, sent: 0, lost: 0)).loss == nil)
    }

    @Test func anEdgesStateFollowsItsChangesAndIgnoresLateReports() {
        let t0 = Self.t0
        var state = TunnelEdgeState(tunnelID: "tun_1", location: "ams1", edgeID: "edg_1",
                                    first: .summary(Self.sample(t0, sent: 10, lost: 0)), receivedAt: t0 + 10)
        #expect((state.state, state.since, state.observedAt) == (TunnelState.healthy, t0, t0 + 10))

        // A change says exactly when.
        state.apply(.change(TunnelStateChange(tunnelID: "tun_1", at: t0 + 13, from: .healthy, to: .down)), receivedAt: t0 + 13)
        #expect((state.state, state.since) == (TunnelState.down, t0 + 13))
        // A summary that agrees changes nothing.
        state.apply(.summary(Self.sample(t0 + 10, sent: 10, lost: 10, rtt: nil, .down)), receivedAt: t0 + 20)
        #expect((state.state, state.since, state.lastReport) == (TunnelState.down, t0 + 13, t0 + 20))
        // A report older than what was applied does not roll the state back, but the edge was heard.
        state.apply(.summary(Self.sample(t0 - 30, sent: 10, lost: 0)), receivedAt: t0 + 25)
        #expect((state.state, state.since, state.lastReport) == (TunnelState.down, t0 + 13, t0 + 25))
        // A change that went missing: it happened after the last word (t0 + 20), inside the summary.
        state.apply(.summary(Self.sample(t0 + 15, seconds: 10, sent: 10, lost: 0, .degraded)), receivedAt: t0 + 30)
        #expect((state.state, state.since, state.observedAt) == (TunnelState.degraded, t0 + 20, t0 + 25))
    }

    @Test func bucketsStartAtMultiplesOfTheStep() throws {
        let now = Self.t0
        let range = try TunnelHealthRange.parse(from: "2026-11-23T11:07:31Z", to: nil, step: "600", now: now)
        #expect(range.from == RFC3339.date("2026-11-23T11:00:00Z"))
        #expect(range.to == now)
        #expect(range.bucket(RFC3339.date("2026-11-23T11:19:59.999Z")!) == Int(RFC3339.date("2026-11-23T11:10:00Z")!.timeIntervalSince1970))
        #expect(!range.readsSamples)
        #expect(try TunnelHealthRange.parse(from: nil, to: nil, step: "10", now: now).readsSamples)
        let one = TunnelHealthAggregate(Self.sample(now, sent: 1, lost: 0, rtt: (1, 1, 1)))
        let series = range.series([("fra1", now - 30, one), ("ams1", now - 1, one), ("ams1", now - 599, one), ("ams1", now - 601, one)])
        #expect(series.map(\.location) == ["ams1", "fra1"])
        #expect(series.first?.points.map(\.at) == [now - 1200, now - 600])
        #expect(series.first?.points.map(\.sent) == [1, 2])
    }
}

private extension TunnelHealthRulesTests {
    static func sample(_ start: Date, seconds: TimeInterval, sent: Int, lost: Int, _ state: TunnelState) -> TunnelHealthSample {
        TunnelHealthSample(tunnelID: "tun_1", start: start, end: start + seconds, sent: sent, lost: lost,
                           rttMin: nil, rttAvg: nil, rttMax: nil, state: state)
    }
}
