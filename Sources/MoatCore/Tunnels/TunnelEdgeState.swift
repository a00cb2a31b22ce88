import Foundation
import MoatModel

/// What one edge last said about one tunnel, and since when: the health matrix is made of these.
///
/// Reports may arrive late or out of order (an edge resends a backlog after an outage), so an
/// observation older than the newest one applied does not roll the state back; the history keeps
/// it all the same.
package struct TunnelEdgeState: Equatable, Sendable {
    package var tunnelID: String
    package var location: String
    package var edgeID: String
    package var state: TunnelState
    package var since: Date
    /// The edge's time of the newest observation applied: a summary's end or a change's time.
    package var observedAt: Date
    /// When core received the newest report, by core's clock: staleness does not depend on the
    /// edge's clock.
    package var lastReport: Date

    /// A summary or a state change, as far as the current state is concerned.
    enum Observation {
        case summary(TunnelHealthSample)
        case change(TunnelStateChange)

        var time: Date {
            switch self {
            case .summary(let sample): return sample.end
            case .change(let change): return change.at
            }
        }
    }

    /// The state from an edge's first word about a tunnel. A summary does not say when its state
    /// began; its start is the best bound there is (a change inside it would have been reported).
    init(tunnelID: String, location: String, edgeID: String, first observation: Observation, receivedAt: Date) {
        self.tunnelID = tunnelID
        self.location = location
        self.edgeID = edgeID
        switch observation {
        case .summary(let sample):
            state = sample.state
            since = sample.start
        case .change(let change):
            state = change.to
            since = change.at
        }
        observedAt = observation.time
        lastReport = receivedAt
    }

    package init(tunnelID: String, location: String, edgeID: String, state: TunnelState, since: Date, observedAt: Date, lastReport: Date) {
        self.tunnelID = tunnelID
        self.location = location
        self.edgeID = edgeID
        self.state = state
        self.since = since
        self.observedAt = observedAt
        self.lastReport = lastReport
    }

    mutating func apply(_ observation: Observation, receivedAt: Date) {
        lastReport = max(lastReport, receivedAt)
        guard observation.time >= observedAt else { return }
        switch observation {
        case .change(let change):
            // A change says exactly when the state began.
            state = change.to
            since = change.at
        case .summary(let sample) where sample.state != state:
            // The change itself went missing: it happened after the last word and before the end.
            since = max(sample.start, observedAt)
            state = sample.state
        case .summary:
            break
        }
        observedAt = observation.time
    }
}
