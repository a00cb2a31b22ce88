import Foundation
import MoatModel

/// Probe counts and round-trip times summed over samples: what a per-minute roll-up row holds and
/// what one point of a history answers. Merging is associative and commutative, so samples roll up
/// into minutes, and minutes into longer steps, with the same arithmetic and in any order.
struct TunnelHealthAggregate: Equatable, Sendable {
    var sent: Int
    var lost: Int
    var rttMin: Double?
    var rttMax: Double?
    /// Each sample's average RTT times its answered probes, summed, and the sum of those probes:
    /// the average is weighted by answered probes, not by samples, so a sample of 3 answers does
    /// not count as much as one of 300.
    var rttSum: Double
    var rttWeight: Int
    /// The worst state seen.
    var state: TunnelState

    init(sent: Int, lost: Int, rttMin: Double?, rttMax: Double?, rttSum: Double, rttWeight: Int, state: TunnelState) {
        self.sent = sent
        self.lost = lost
        self.rttMin = rttMin
        self.rttMax = rttMax
        self.rttSum = rttSum
        self.rttWeight = rttWeight
        self.state = state
    }

    /// A sample's answered probes are `sent - lost`; one at least when it has RTTs, as a probe
    /// sent in the previous interval may be answered in this one.
    init(_ sample: TunnelHealthSample) {
        let weight = sample.rttAvg == nil ? 0 : max(1, sample.sent - sample.lost)
        self.init(sent: sample.sent, lost: sample.lost, rttMin: sample.rttMin, rttMax: sample.rttMax,
                  rttSum: (sample.rttAvg ?? 0) * Double(weight), rttWeight: weight, state: sample.state)
    }

    /// A state change counts in its minute with no probes: a flap between two summaries still
    /// shows as the minute's worst state.
    init(_ change: TunnelStateChange) {
        self.init(sent: 0, lost: 0, rttMin: nil, rttMax: nil, rttSum: 0, rttWeight: 0, state: change.to)
    }

    mutating func merge(_ other: TunnelHealthAggregate) {
        sent += other.sent
        lost += other.lost
        rttMin = [rttMin, other.rttMin].compactMap { $0 }.min()
        rttMax = [rttMax, other.rttMax].compactMap { $0 }.max()
        rttSum += other.rttSum
        rttWeight += other.rttWeight
        state = max(state, other.state)
    }

    /// At most 1: losses counted in a later interval than their probes can outnumber what it sent.
    var loss: Double? { sent > 0 ? min(1, Double(lost) / Double(sent)) : nil }
    var rttAvg: Double? { rttWeight > 0 ? rttSum / Double(rttWeight) : nil }

    func point(at date: Date) -> TunnelHealthPoint {
        TunnelHealthPoint(at: date, sent: sent, lost: lost, loss: loss, rttMin: rttMin, rttAvg: rttAvg, rttMax: rttMax, state: state)
    }
}

extension Sequence {
    /// Groups the elements by key and merges each group's aggregates.
    func merged<Key: Hashable>(by key: (Element) -> Key, _ aggregate: (Element) -> TunnelHealthAggregate) -> [Key: TunnelHealthAggregate] {
        var result: [Key: TunnelHealthAggregate] = [:]
        for element in self {
            let group = key(element)
            if result[group] == nil { result[group] = aggregate(element) } else { result[group]!.merge(aggregate(element)) }
        }
        return result
    }
}
