import MoatModel

/// How often a tunnel is probed and how long the state machine waits, per health check rate.
package struct ProbeTiming: Equatable, Sendable {
    /// Between two scheduled probes.
    package var interval: Duration
    /// A probe unanswered after this long has failed (and triggers two immediate retries).
    package var timeout: Duration
    /// Degraded → healthy needs this long without a failure.
    package var recovery: Duration
    /// The loss window of the degraded rule (≥ 2 probes, ≥ 0.1 % lost).
    package var lossWindow: Duration = .seconds(300)

    package init(interval: Duration, timeout: Duration, recovery: Duration) {
        self.interval = interval
        self.timeout = timeout
        self.recovery = recovery
    }

    /// Worst-case detection of a dead tunnel: wait for the next probe, its timeout, and the
    /// two retries' timeout (they go out together): mid 750 ms, high 150 ms, low 3 s.
    package var detection: Duration { interval + timeout * 2 }

    package init(_ rate: Tunnel.HealthCheck.Rate) {
        switch rate {
        case .low: self.init(interval: .seconds(1), timeout: .seconds(1), recovery: .seconds(60))
        case .mid: self.init(interval: .milliseconds(250), timeout: .milliseconds(250), recovery: .seconds(30))
        case .high: self.init(interval: .milliseconds(50), timeout: .milliseconds(50), recovery: .seconds(10))
        }
    }
}
