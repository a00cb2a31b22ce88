/// When one tunnel's probes go out and which of them have failed.
///
/// A probe is due every `interval`; a probe unanswered after `timeout` has failed, and a
/// failed scheduled probe triggers two retries at once. Pure: time comes in with each call.
package struct ProbeScheduler: Sendable {
    package let timing: ProbeTiming
    private var nextDue: Duration
    private var nextSequence: UInt32 = 1
    /// Outstanding probes: sequence → (sent at, is a retry).
    private var outstanding: [UInt32: (sentAt: Duration, retry: Bool)] = [:]

    package init(timing: ProbeTiming, start: Duration) {
        self.timing = timing
        nextDue = start
    }

    package enum Event: Equatable, Sendable {
        /// Send probe `sequence` now.
        case send(sequence: UInt32)
        /// Probe `sequence` got no answer in time.
        case failed(sequence: UInt32)
    }

    /// What is due at `now`: timeouts first (with their retries), then the scheduled probe.
    package mutating func tick(at now: Duration) -> [Event] {
        var events: [Event] = []
        let expired = outstanding.filter { now - $0.value.sentAt >= timing.timeout }.sorted { $0.key < $1.key }
        for (sequence, probe) in expired {
            outstanding[sequence] = nil
            events.append(.failed(sequence: sequence))
            if !probe.retry {
                events.append(send(at: now, retry: true))
                events.append(send(at: now, retry: true))
            }
        }
        if now >= nextDue {
            events.append(send(at: now, retry: false))
            // Keep the cadence; after a stall, do not send a burst to catch up.
            nextDue = max(nextDue + timing.interval, now)
        }
        return events
    }

    /// An answer to probe `sequence` arrived; returns the round-trip time, or nil when the
    /// probe is not outstanding (late, duplicated or not ours).
    package mutating func answered(sequence: UInt32, at now: Duration) -> Duration? {
        guard let probe = outstanding.removeValue(forKey: sequence) else { return nil }
        return now - probe.sentAt
    }

    /// When `tick` next has something to do.
    package var nextDeadline: Duration {
        outstanding.values.map { $0.sentAt + timing.timeout }.min().map { min($0, nextDue) } ?? nextDue
    }

    private mutating func send(at now: Duration, retry: Bool) -> Event {
        let sequence = nextSequence
        nextSequence &+= 1
        if nextSequence == 0 { nextSequence = 1 }
        outstanding[sequence] = (now, retry)
        return .send(sequence: sequence)
    }
}
