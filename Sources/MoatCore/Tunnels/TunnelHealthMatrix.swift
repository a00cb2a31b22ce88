import Foundation
import MoatModel

/// Folds what every edge last said about every tunnel into one cell per tunnel and location.
enum TunnelHealthMatrix {
    /// Edges report every 10 s: an edge silent for a minute has missed six reports.
    static let freshness: TimeInterval = 60

    /// One row per tunnel, in the order given; locations by ID. A location's state is the worst
    /// among its edges that reported within `freshness` of `now`; when none did, the worst of all
    /// its edges' last words, marked stale.
    static func build(tunnels: [Tunnel], states: [TunnelEdgeState], now: Date) -> [TunnelHealthOverview] {
        let byTunnel = Dictionary(grouping: states, by: \.tunnelID)
        return tunnels.map { tunnel in
            let byLocation = Dictionary(grouping: byTunnel[tunnel.id] ?? [], by: \.location)
            let cells = byLocation.keys.sorted().compactMap { location in cell(location, byLocation[location] ?? [], now: now) }
            return TunnelHealthOverview(tunnelID: tunnel.id, name: tunnel.name, locations: cells)
        }
    }

    static func cell(_ location: String, _ edges: [TunnelEdgeState], now: Date) -> TunnelLocationHealth? {
        guard let lastReport = edges.map(\.lastReport).max() else { return nil }
        let fresh = edges.filter { now.timeIntervalSince($0.lastReport) <= freshness }
        let counted = fresh.isEmpty ? edges : fresh
        guard let worst = counted.map(\.state).max(),
              let since = counted.filter({ $0.state == worst }).map(\.since).min() else { return nil }
        return TunnelLocationHealth(location: location, state: worst, since: since, edges: counted.count,
                                    lastReport: lastReport, stale: fresh.isEmpty)
    }
}
