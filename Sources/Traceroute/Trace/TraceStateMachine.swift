import MoatModel

/// One trace of one target, as events: when to send which probe, which answers count, when it is
/// over. No sockets and no clock inside: the adapter passes the time (monotonic nanoseconds) in
/// and does the sending.
///
/// Probes go out in TTL order, `packetsPerTTL` per TTL, with at most `window` unanswered at once,
/// so several TTLs are in flight together. A probe unanswered after `wait` is lost. An answer that
/// ends the trace (the target's, or an unreachable) caps the TTLs at its own: nothing beyond it
/// is sent, and probes beyond it already out are ignored.
package struct TraceStateMachine: Sendable {
    package enum Action: Equatable, Sendable {
        case send(number: UInt16, ttl: UInt8)
        /// Every probe up to the last TTL is answered or lost.
        case finished
    }

    package enum State: Equatable, Sendable {
        case idle, tracing, finished
    }

    /// What became of one probe.
    package struct Probe: Equatable, Sendable {
        package var number: UInt16
        package var ttl: Int
        package var sentAt: UInt64
        package var answer: Answer?
        package var lost: Bool

        package init(number: UInt16, ttl: Int, sentAt: UInt64, answer: Answer? = nil, lost: Bool = false) {
            self.number = number
            self.ttl = ttl
            self.sentAt = sentAt
            self.answer = answer
            self.lost = lost
        }

        var isOpen: Bool { answer == nil && !lost }
    }

    package struct Answer: Equatable, Sendable {
        package var responder: IPAddress
        package var rttNanos: UInt64
        package var kind: TraceReply.Kind

        package init(responder: IPAddress, rttNanos: UInt64, kind: TraceReply.Kind) {
            self.responder = responder
            self.rttNanos = rttNanos
            self.kind = kind
        }

        package init(responder: UInt32, rttNanos: UInt64, kind: TraceReply.Kind) {
            self.init(responder: .v4(responder), rttNanos: rttNanos, kind: kind)
        }
    }

    package let flow: TraceFlow
    let maxTTL: Int
    let packetsPerTTL: Int
    let waitNanos: UInt64
    let window: Int
    /// Probes sent per event at most; the rest wait for the next tick. One at a time lets an
    /// answer that ends the trace arrive before probes beyond it go out.
    let sendsPerStep: Int

    package private(set) var state = State.idle
    /// Every probe sent, by number.
    package private(set) var probes: [UInt16: Probe] = [:]
    private var nextNumber = 1
    /// The smallest TTL whose answer ended the trace.
    package private(set) var endTTL: Int?
    /// Answers that matched no open probe of this trace (another trace's, late, forged, duplicate).
    package private(set) var ignored = 0

    package init(flow: TraceFlow, options: TracerouteOptions, window: Int = TracerouteOptions.probesInFlight, sendsPerStep: Int = .max) {
        self.flow = flow
        self.sendsPerStep = max(1, sendsPerStep)
        maxTTL = options.maxTTL
        packetsPerTTL = options.packetsPerTTL
        waitNanos = UInt64(options.waitTime) * 1_000_000_000
        self.window = max(1, window)
    }

    /// The last TTL that counts: the one that ended the trace, else `maxTTL`.
    package var lastTTL: Int { min(maxTTL, endTTL ?? maxTTL) }

    package mutating func start(now: UInt64) -> [Action] {
        guard state == .idle else { return [] }
        state = .tracing
        return advance(now)
    }

    /// Call often (every few milliseconds): loses probes that waited too long and sends more.
    package mutating func tick(now: UInt64) -> [Action] {
        guard state == .tracing else { return [] }
        for (number, probe) in probes where probe.isOpen && now &- probe.sentAt >= waitNanos {
            probes[number]?.lost = true
        }
        return advance(now)
    }

    package mutating func receive(_ reply: TraceReply, now: UInt64) -> [Action] {
        guard state == .tracing, reply.flow == flow, let probe = probes[reply.number], probe.isOpen else {
            ignored += 1
            return []
        }
        probes[reply.number]?.answer = Answer(responder: reply.responder, rttNanos: now &- probe.sentAt, kind: reply.kind)
        if reply.kind.endsTrace { endTTL = min(endTTL ?? .max, probe.ttl) }
        return advance(now)
    }

    /// Gives up (the job's deadline): every open probe counts as lost.
    package mutating func stop() {
        guard state != .finished else { return }
        for (number, probe) in probes where probe.isOpen { probes[number]?.lost = true }
        state = .finished
    }

    /// The probes that count, TTL 1 to `lastTTL`, in the order sent.
    package var outcome: [Probe] {
        probes.values.filter { $0.ttl <= lastTTL }.sorted { $0.number < $1.number }
    }

    /// Whether the target itself answered.
    package var reached: Bool {
        outcome.contains { $0.answer.map { $0.kind.reaches(for: flow.packetType) && $0.responder == flow.destination } ?? false }
    }

    private mutating func advance(_ now: UInt64) -> [Action] {
        var actions: [Action] = []
        let last = lastTTL * packetsPerTTL
        var open = probes.values.filter(\.isOpen).count
        while nextNumber <= last, open < window, actions.count < sendsPerStep {
            let number = UInt16(nextNumber)
            let ttl = (nextNumber - 1) / packetsPerTTL + 1
            probes[number] = Probe(number: number, ttl: ttl, sentAt: now)
            actions.append(.send(number: number, ttl: UInt8(ttl)))
            nextNumber += 1
            open += 1
        }
        let pending = probes.values.contains { $0.isOpen && $0.ttl <= lastTTL }
        if nextNumber > last, !pending {
            state = .finished
            actions.append(.finished)
        }
        return actions
    }
}
