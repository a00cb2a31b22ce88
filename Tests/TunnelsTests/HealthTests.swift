import MoatModel
import NetLab
import Testing
@testable import Tunnels

@Suite struct HealthTests {
    static let high = ProbeTiming(.high)

    @Test func downAfterAProbeAndItsTwoRetriesFail() {
        var machine = TunnelHealthStateMachine(timing: Self.high)
        var time = Duration.zero
        for _ in 0..<100 {
            time += .milliseconds(50)
            #expect(machine.probeSucceeded(at: time) == nil)
        }
        // One loss in 101 probes is ≥ 0.1 % of the loss window: degraded.
        #expect(machine.probeFailed(at: time + .milliseconds(50)) == .init(from: .healthy, to: .degraded, reason: .lossInWindow))
        #expect(machine.probeFailed(at: time + .milliseconds(100)) == nil)
        let down = machine.probeFailed(at: time + .milliseconds(100))
        #expect(down == .init(from: .degraded, to: .down, reason: .consecutiveFailures))
    }

    @Test func oneLossInAFullWindowIsBelowTheThreshold() {
        var machine = TunnelHealthStateMachine(timing: Self.high)
        var time = Duration.zero
        for _ in 0..<6_000 {
            time += .milliseconds(50)
            _ = machine.probeSucceeded(at: time)
        }
        #expect(machine.totals(time).sent >= 5_900)
        #expect(machine.probeFailed(at: time) == nil) // 1 in ~6,000 < 0.1 %
        #expect(machine.state == .healthy)
    }

    @Test func recoveryIsSlowerThanFailure() {
        var machine = TunnelHealthStateMachine(timing: Self.high)
        var time = Duration.seconds(1)
        for _ in 0..<3 { _ = machine.probeFailed(at: time) }
        #expect(machine.state == .down)
        time += .milliseconds(50)
        #expect(machine.probeSucceeded(at: time) == nil)
        #expect(machine.probeSucceeded(at: time) == nil)
        #expect(machine.probeSucceeded(at: time)?.to == .degraded)
        // Healthy only after a clean recovery window (10 s at the high rate).
        var healthyAt: Duration?
        while healthyAt == nil && time < .seconds(30) {
            time += .milliseconds(50)
            if machine.probeSucceeded(at: time)?.to == .healthy { healthyAt = time }
        }
        #expect(healthyAt == .seconds(1) + Self.high.recovery)
        // The outage's failures do not degrade it again: the loss window started afresh.
        time += .milliseconds(50)
        #expect(machine.probeFailed(at: time) == nil)
        #expect(machine.state == .healthy)
    }

    @Test func onePercentLossDegradesButNeverDowns() {
        var machine = TunnelHealthStateMachine(timing: Self.high)
        var random = SeededRandom(state: 7)
        var states: Set<TunnelState> = []
        var time = Duration.zero
        // 10 minutes at 20 probes/s, each failure followed by its two retries.
        for _ in 0..<12_000 {
            time += .milliseconds(50)
            if random.below(100) == 0 {
                _ = machine.probeFailed(at: time)
                for _ in 0..<2 {
                    if random.below(100) == 0 { _ = machine.probeFailed(at: time) } else { _ = machine.probeSucceeded(at: time) }
                }
            } else {
                _ = machine.probeSucceeded(at: time)
            }
            states.insert(machine.state)
        }
        #expect(states.contains(.degraded))
        #expect(!states.contains(.down))
    }

    @Test func schedulerRetriesTwiceAtOnceAfterAFailure() {
        var scheduler = ProbeScheduler(timing: Self.high, start: .zero)
        #expect(scheduler.tick(at: .zero) == [.send(sequence: 1)])
        #expect(scheduler.tick(at: .milliseconds(10)) == [])
        #expect(scheduler.answered(sequence: 1, at: .milliseconds(12)) == .milliseconds(12))
        #expect(scheduler.answered(sequence: 1, at: .milliseconds(13)) == nil) // a duplicate
        #expect(scheduler.tick(at: .milliseconds(50)) == [.send(sequence: 2)])
        // Probe 2 unanswered: at its timeout it fails, two retries go at once, and probe 3 is due.
        #expect(scheduler.tick(at: .milliseconds(100)) == [.failed(sequence: 2), .send(sequence: 3), .send(sequence: 4), .send(sequence: 5)])
        // A failed retry triggers no more retries.
        #expect(scheduler.answered(sequence: 5, at: .milliseconds(101)) != nil)
        #expect(scheduler.tick(at: .milliseconds(150)) == [.failed(sequence: 3), .failed(sequence: 4), .send(sequence: 6)])
    }

    /// End to end through the prober: a tunnel that stops answering is down within the
    /// detection time of its rate, and traffic moves by its penalty.
    @Test func proberDetectsADeadTunnelWithinTheDetectionTime() {
        for rate in Tunnel.HealthCheck.Rate.allCases {
            let timing = ProbeTiming(rate)
            var prober = TunnelProber()
            prober.configure([.init(tunnelID: "t1", innerSource: 1, innerDestination: 2, isRequest: false, timing: timing)], at: .zero)
            var time = Duration.zero
            var alive = true
            var diedAt = Duration.zero
            var downAt: Duration?
            while time < .seconds(20), downAt == nil {
                let (probes, changes) = prober.tick(at: time, clock: 0)
                if changes.contains(where: { $0.transition.to == .down }) { downAt = time }
                if alive { for probe in probes { _ = prober.answered(probe.packet, at: time + .milliseconds(1)) } }
                time += .milliseconds(1)
                if alive && time >= .seconds(5) + .milliseconds(7) { alive = false; diedAt = time }
            }
            let detection = (downAt ?? .seconds(99)) - diedAt
            #expect(detection <= timing.detection + .milliseconds(2), "\(rate): \(detection)")
        }
    }
}

