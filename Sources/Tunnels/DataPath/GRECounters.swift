import Synchronization

/// What the userspace GRE data path did, for metrics and the benchmark.
package final class GRECounters: Sendable {
    package let encapsulated = Atomic<UInt64>(0)
    package let encapsulatedBytes = Atomic<UInt64>(0)
    package let decapsulated = Atomic<UInt64>(0)
    package let decapsulatedBytes = Atomic<UInt64>(0)
    /// Packets from the TUN device that no route covers.
    package let noRoute = Atomic<UInt64>(0)
    package let probesSent = Atomic<UInt64>(0)
    package let probeAnswers = Atomic<UInt64>(0)
    package let sendErrors = Atomic<UInt64>(0)
    /// Malformed or unexpected GRE, by reason (rare: one lock is fine).
    private let drops = Mutex<[GREPacket.DropReason: UInt64]>([:])

    package init() {}

    package func drop(_ reason: GREPacket.DropReason) {
        drops.withLock { $0[reason, default: 0] += 1 }
    }

    package func dropped(_ reason: GREPacket.DropReason) -> UInt64 {
        drops.withLock { $0[reason] ?? 0 }
    }

    /// Every counter by name, for logs and metrics.
    package var snapshot: [String: UInt64] {
        var result: [String: UInt64] = [
            "encapsulated_packets": encapsulated.load(ordering: .relaxed),
            "encapsulated_bytes": encapsulatedBytes.load(ordering: .relaxed),
            "decapsulated_packets": decapsulated.load(ordering: .relaxed),
            "decapsulated_bytes": decapsulatedBytes.load(ordering: .relaxed),
            "no_route": noRoute.load(ordering: .relaxed),
            "probes_sent": probesSent.load(ordering: .relaxed),
            "probe_answers": probeAnswers.load(ordering: .relaxed),
            "send_errors": sendErrors.load(ordering: .relaxed),
        ]
        for reason in GREPacket.DropReason.allCases { result["dropped_\(reason.rawValue)"] = dropped(reason) }
        return result
    }
}
