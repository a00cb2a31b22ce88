import Foundation
import MoatModel

/// What each edge last said about the Spectrum apps it does not serve, kept in memory: it is
/// the edge's present state, sent again with every telemetry report, so a restarted core
/// knows it again within one report interval.
package actor AppServiceBoard {
    struct Report {
        var location: String
        var at: Date
        var unserved: [String: String]
    }

    private var reports: [String: Report] = [:]

    package init() {}

    func record(edgeID: String, location: String, unserved: [String: String], at: Date) {
        reports[edgeID] = Report(location: location, at: at, unserved: unserved)
    }

    /// The app as seen by each edge of its locations that has reported.
    func status(of app: SpectrumApp) -> SpectrumAppStatus {
        let edges = reports.filter { app.locations.isEmpty || app.locations.contains($0.value.location) }
            .sorted { $0.key < $1.key }
            .map { id, report in
                SpectrumAppStatus.Edge(edgeID: id, location: report.location, served: report.unserved[app.id] == nil,
                                       reason: report.unserved[app.id], reportedAt: report.at)
            }
        return SpectrumAppStatus(appID: app.id, edges: edges)
    }
}
