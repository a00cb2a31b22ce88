import Foundation
import MoatModel

/// Probes sent and lost and the round-trip times since the last report, for one tunnel.
package struct ProbeSummary: Sendable {
    package private(set) var sent = 0
    package private(set) var lost = 0
    private var answered = 0
    private var rttSum: Double = 0
    private var rttMin = Double.infinity
    private var rttMax: Double = 0

    package init() {}

    package mutating func recordSent() { sent += 1 }
    package mutating func recordLost() { lost += 1 }

    package mutating func recordAnswer(rtt: Duration) {
        let milliseconds = Double(rtt.components.seconds) * 1000 + Double(rtt.components.attoseconds) / 1e15
        answered += 1
        rttSum += milliseconds
        rttMin = min(rttMin, milliseconds)
        rttMax = max(rttMax, milliseconds)
    }

    package func sample(tunnelID: String, start: Date, end: Date, state: TunnelState) -> TunnelHealthSample {
        TunnelHealthSample(tunnelID: tunnelID, start: start, end: end, sent: sent, lost: lost,
                           rttMin: answered > 0 ? rttMin : nil, rttAvg: answered > 0 ? rttSum / Double(answered) : nil,
                           rttMax: answered > 0 ? rttMax : nil, state: state)
    }
}
