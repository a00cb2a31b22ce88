import Foundation

/// One row of `GET /v1/accounts/{account}/tunnels/health`: one of the account's tunnels as each
/// location that reports it sees it now.
public struct TunnelHealthOverview: Codable, Equatable, Sendable {
    public var tunnelID: String
    public var name: String
    /// The locations whose edges report this tunnel, by location ID; empty until one does.
    public var locations: [TunnelLocationHealth]

    enum CodingKeys: String, CodingKey {
        case name, locations
        case tunnelID = "tunnel_id"
    }

    public init(tunnelID: String, name: String, locations: [TunnelLocationHealth]) {
        self.tunnelID = tunnelID
        self.name = name
        self.locations = locations
    }
}

/// One cell of the health matrix: what one location's edges say about one tunnel.
///
/// The state is the worst among the location's edges that reported in the last minute. When none
/// did, the cell is `stale` and shows the worst of what its edges said last, so a location that
/// went quiet keeps its last word instead of vanishing or turning healthy.
public struct TunnelLocationHealth: Codable, Equatable, Sendable {
    public var location: String
    public var state: TunnelState
    /// Since when the location has been in `state`: the earliest change into it among the edges
    /// that are in it now.
    public var since: Date
    /// How many edges `state` is made of: those that reported in the last minute, or when stale,
    /// every edge of the location that reported the tunnel.
    public var edges: Int
    /// When core last received a report about the tunnel from an edge of the location.
    public var lastReport: Date
    /// No edge of the location reported in the last minute: `state` is the last known, not the current.
    public var stale: Bool

    enum CodingKeys: String, CodingKey {
        case location, state, since, edges, stale
        case lastReport = "last_report"
    }

    public init(location: String, state: TunnelState, since: Date, edges: Int, lastReport: Date, stale: Bool) {
        self.location = location
        self.state = state
        self.since = since
        self.edges = edges
        self.lastReport = lastReport
        self.stale = stale
    }
}
