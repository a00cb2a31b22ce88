import MoatModel

/// One tunnel's health from one edge's probe results (DESIGN.md "Tunnels and health checks").
///
/// - down: the last 3 probes (a probe and its two retries) all failed;
/// - degraded: at least 2 probes and ≥ 0.1 % of them lost in the loss window (5 minutes);
/// - recovery is slower than failure: down → degraded after 3 consecutive successes,
///   degraded → healthy after `recovery` without a failure; the loss window starts afresh
///   then, so the failures that caused the outage do not degrade the tunnel again.
///
/// Pure: time comes in with each event (a monotonic `Duration` since any fixed start).
package struct TunnelHealthStateMachine: Sendable {
    package private(set) var state: TunnelState = .healthy
    package let timing: ProbeTiming
    private var consecutiveFailures = 0
    private var consecutiveSuccesses = 0
    private var lastFailure: Duration?
    /// Per-second buckets over the loss window: (second, sent, lost).
    private var buckets: [(second: Int64, sent: Int, lost: Int)] = []

    package init(timing: ProbeTiming) {
        self.timing = timing
    }

    /// Why the state changed.
    package enum Reason: String, Sendable {
        case consecutiveFailures = "consecutive_failures"
        case lossInWindow = "loss_in_window"
        case consecutiveSuccesses = "consecutive_successes"
        case cleanRecoveryWindow = "clean_recovery_window"
    }

    package struct Transition: Equatable, Sendable {
        package var from: TunnelState
        package var to: TunnelState
        package var reason: Reason
    }

    /// A probe (or retry) was answered at `now`.
    package mutating func probeSucceeded(at now: Duration) -> Transition? {
        count(now, lost: false)
        consecutiveFailures = 0
        consecutiveSuccesses += 1
        switch state {
        case .down where consecutiveSuccesses >= 3:
            return enter(.degraded, .consecutiveSuccesses)
        case .degraded where now - (lastFailure ?? .zero) >= timing.recovery:
            buckets.removeAll()
            return enter(.healthy, .cleanRecoveryWindow)
        default:
            return nil
        }
    }

    /// A probe (or retry) went unanswered within its timeout, noticed at `now`.
    package mutating func probeFailed(at now: Duration) -> Transition? {
        count(now, lost: true)
        consecutiveSuccesses = 0
        consecutiveFailures += 1
        lastFailure = now
        if consecutiveFailures >= 3, state != .down { return enter(.down, .consecutiveFailures) }
        if state == .healthy {
            let (sent, lost) = totals(now)
            if sent >= 2, lost * 1000 >= sent { return enter(.degraded, .lossInWindow) }
        }
        return nil
    }

    /// Probes sent and lost in the loss window ending at `now`.
    package func totals(_ now: Duration) -> (sent: Int, lost: Int) {
        let oldest = Self.second(now) - Self.second(timing.lossWindow)
        var sent = 0
        var lost = 0
        for bucket in buckets where bucket.second > oldest {
            sent += bucket.sent
            lost += bucket.lost
        }
        return (sent, lost)
    }

    private mutating func enter(_ next: TunnelState, _ reason: Reason) -> Transition {
        let transition = Transition(from: state, to: next, reason: reason)
        state = next
        return transition
    }

    private mutating func count(_ now: Duration, lost: Bool) {
        let second = Self.second(now)
        if let last = buckets.last, last.second == second {
            buckets[buckets.count - 1].sent += 1
            if lost { buckets[buckets.count - 1].lost += 1 }
        } else {
            buckets.append((second, 1, lost ? 1 : 0))
        }
        let oldest = second - Self.second(timing.lossWindow)
        if let first = buckets.first, first.second <= oldest {
            buckets.removeAll { $0.second <= oldest }
        }
    }

    private static func second(_ time: Duration) -> Int64 { time.components.seconds }
}
