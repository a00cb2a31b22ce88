import Foundation

/// A tunnel's health as one edge sees it (DESIGN.md "Tunnels and health checks").
public enum TunnelState: String, Codable, CaseIterable, Sendable, Comparable {
    case healthy, degraded, down

    /// Worse states sort later: `max` of a set of states is the worst.
    private var rank: Int {
        switch self {
        case .healthy: return 0
        case .degraded: return 1
        case .down: return 2
        }
    }

    public static func < (lhs: TunnelState, rhs: TunnelState) -> Bool { lhs.rank < rhs.rank }

    /// What route selection adds to the priority of a route through a tunnel in this state.
    public var penalty: Int {
        switch self {
        case .healthy: return 0
        case .degraded: return 500_000
        case .down: return 1_000_000
        }
    }
}

/// One edge's probe summary for one tunnel over one reporting interval (10 s by default).
public struct TunnelHealthSample: Codable, Equatable, Sendable {
    public var tunnelID: String
    public var start: Date
    public var end: Date
    public var sent: Int
    public var lost: Int
    /// Round-trip times of the answered probes, in milliseconds; nil when none was answered.
    public var rttMin: Double?
    public var rttAvg: Double?
    public var rttMax: Double?
    /// The state at the end of the interval.
    public var state: TunnelState

    enum CodingKeys: String, CodingKey {
        case start, end, sent, lost, state
        case tunnelID = "tunnel_id"
        case rttMin = "rtt_min_ms"
        case rttAvg = "rtt_avg_ms"
        case rttMax = "rtt_max_ms"
    }

    public init(tunnelID: String, start: Date, end: Date, sent: Int, lost: Int, rttMin: Double?, rttAvg: Double?, rttMax: Double?, state: TunnelState) {
        self.tunnelID = tunnelID
        self.start = start
        self.end = end
        self.sent = sent
        self.lost = lost
        self.rttMin = rttMin
        self.rttAvg = rttAvg
        self.rttMax = rttMax
        self.state = state
    }
}

/// A state change of one tunnel as one edge saw it; sent at once, not with the next summary.
public struct TunnelStateChange: Codable, Equatable, Sendable {
    public var tunnelID: String
    public var at: Date
    public var from: TunnelState
    public var to: TunnelState

    enum CodingKeys: String, CodingKey {
        case at, from, to
        case tunnelID = "tunnel_id"
    }

    public init(tunnelID: String, at: Date, from: TunnelState, to: TunnelState) {
        self.tunnelID = tunnelID
        self.at = at
        self.from = from
        self.to = to
    }
}
