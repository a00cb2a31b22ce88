import Foundation
import MoatModel

/// Every tunnel's probe schedule, health state machine and report summary, on one edge.
///
/// Pure: the data path calls `tick` with the time, sends the probes it returns, and feeds
/// answers back with `answered`. State changes come back as transitions to report at once.
package struct TunnelProber: Sendable {
    /// How one tunnel is probed: the inner packet's addresses and its kind.
    package struct Target: Equatable, Sendable {
        package var tunnelID: String
        package var innerSource: UInt32
        package var innerDestination: UInt32
        package var isRequest: Bool
        package var timing: ProbeTiming

        package init(tunnelID: String, innerSource: UInt32, innerDestination: UInt32, isRequest: Bool, timing: ProbeTiming) {
            self.tunnelID = tunnelID
            self.innerSource = innerSource
            self.innerDestination = innerDestination
            self.isRequest = isRequest
            self.timing = timing
        }

        /// The probe addressing of DESIGN.md: reply style sends an echo reply from the target to
        /// the edge; request style an echo request from the edge to the target. Bidirectional
        /// probes come back through the tunnel (to the edge's inside address), unidirectional
        /// ones over the underlay (to the Moat endpoint). Nil for IPv6 endpoints or disabled checks.
        package init?(_ tunnel: Tunnel) {
            let check = tunnel.healthCheck
            guard check.enabled, case .v4(let moat) = tunnel.moatEndpoint, case .v4(let customer) = tunnel.customerEndpoint,
                  case .v4(let inside) = tunnel.edgeAddress else { return nil }
            var target = customer
            if case .v4(let configured)? = check.target { target = configured }
            let edge = check.direction == .bidirectional ? inside : moat
            self.init(tunnelID: tunnel.id, innerSource: check.type == .reply ? target : edge,
                      innerDestination: check.type == .reply ? edge : target, isRequest: check.type == .request,
                      timing: ProbeTiming(check.rate))
        }
    }

    /// A probe to send now, through the tunnel `tunnelID`.
    package struct Probe: Equatable, Sendable {
        package var tunnelID: String
        package var packet: ProbePacket
    }

    package struct Change: Equatable, Sendable {
        package var tunnelID: String
        package var transition: TunnelHealthStateMachine.Transition
    }

    struct Entry: Sendable {
        var target: Target
        var scheduler: ProbeScheduler
        var machine: TunnelHealthStateMachine
        var summary = ProbeSummary()
    }

    private var entries: [UInt32: Entry] = [:]
    private var slots: [String: UInt32] = [:]
    private var nextSlot: UInt32 = 1

    package init() {}

    /// Starts probing new targets, stops probing removed ones; a tunnel whose probing did not
    /// change keeps its state and counts.
    package mutating func configure(_ targets: [Target], at now: Duration) {
        let wanted = Set(targets.map(\.tunnelID))
        for (id, slot) in slots where !wanted.contains(id) {
            slots[id] = nil
            entries[slot] = nil
        }
        for target in targets {
            if let slot = slots[target.tunnelID], let entry = entries[slot], entry.target == target { continue }
            let slot = slots[target.tunnelID] ?? allocateSlot()
            slots[target.tunnelID] = slot
            let previous = entries[slot]
            var entry = Entry(target: target, scheduler: ProbeScheduler(timing: target.timing, start: now),
                              machine: previous?.target.timing == target.timing ? previous!.machine : TunnelHealthStateMachine(timing: target.timing))
            if let previous { entry.summary = previous.summary }
            entries[slot] = entry
        }
    }

    /// Probes due at `now`, and the state changes caused by probes that timed out.
    package mutating func tick(at now: Duration, clock nanoseconds: UInt64) -> (probes: [Probe], changes: [Change]) {
        var probes: [Probe] = []
        var changes: [Change] = []
        for slot in entries.keys.sorted() {
            guard var entry = entries[slot] else { continue }
            for event in entry.scheduler.tick(at: now) {
                switch event {
                case .send(let sequence):
                    entry.summary.recordSent()
                    probes.append(Probe(tunnelID: entry.target.tunnelID, packet: ProbePacket(
                        source: entry.target.innerSource, destination: entry.target.innerDestination, isRequest: entry.target.isRequest,
                        slot: slot, sequence: sequence, sentAt: nanoseconds)))
                case .failed:
                    entry.summary.recordLost()
                    if let transition = entry.machine.probeFailed(at: now) {
                        changes.append(Change(tunnelID: entry.target.tunnelID, transition: transition))
                    }
                }
            }
            entries[slot] = entry
        }
        return (probes, changes)
    }

    /// An answer came back; returns the state change it caused, if any. Answers that match no
    /// outstanding probe (late, duplicated, forged) are ignored.
    package mutating func answered(_ reply: ProbePacket, at now: Duration) -> Change? {
        guard var entry = entries[reply.slot], let rtt = entry.scheduler.answered(sequence: reply.sequence, at: now) else { return nil }
        entry.summary.recordAnswer(rtt: rtt)
        let transition = entry.machine.probeSucceeded(at: now)
        entries[reply.slot] = entry
        return transition.map { Change(tunnelID: entry.target.tunnelID, transition: $0) }
    }

    /// Each tunnel's state.
    package var states: [String: TunnelState] {
        var result: [String: TunnelState] = [:]
        for entry in entries.values { result[entry.target.tunnelID] = entry.machine.state }
        return result
    }

    /// The summaries since the last call, which start afresh.
    package mutating func drainSamples(start: Date, end: Date) -> [TunnelHealthSample] {
        var samples: [TunnelHealthSample] = []
        for slot in entries.keys.sorted() {
            guard var entry = entries[slot] else { continue }
            samples.append(entry.summary.sample(tunnelID: entry.target.tunnelID, start: start, end: end, state: entry.machine.state))
            entry.summary = ProbeSummary()
            entries[slot] = entry
        }
        return samples
    }

    private mutating func allocateSlot() -> UInt32 {
        defer { nextSlot &+= 1 }
        return nextSlot
    }
}
