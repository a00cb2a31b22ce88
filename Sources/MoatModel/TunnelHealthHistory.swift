import Foundation

/// `GET /v1/accounts/{account}/tunnels/{tunnel}/health`: one tunnel's probe results over time,
/// per location that reported it.
public struct TunnelHealthHistory: Codable, Equatable, Sendable {
    public var tunnelID: String
    /// The start of the first bucket: the asked `from` rounded down to a multiple of `step`.
    public var from: Date
    public var to: Date
    /// Bucket width in seconds.
    public var step: Int
    public var locations: [TunnelLocationHistory]

    enum CodingKeys: String, CodingKey {
        case from, to, step, locations
        case tunnelID = "tunnel_id"
    }

    public init(tunnelID: String, from: Date, to: Date, step: Int, locations: [TunnelLocationHistory]) {
        self.tunnelID = tunnelID
        self.from = from
        self.to = to
        self.step = step
        self.locations = locations
    }
}

/// One location's series. Buckets without any report are left out: no data is not "no loss".
public struct TunnelLocationHistory: Codable, Equatable, Sendable {
    public var location: String
    public var points: [TunnelHealthPoint]

    public init(location: String, points: [TunnelHealthPoint]) {
        self.location = location
        self.points = points
    }
}

/// One bucket of a location's series, summed over the location's edges.
public struct TunnelHealthPoint: Codable, Equatable, Sendable {
    /// The bucket's start; it covers `[at, at + step)`.
    public var at: Date
    public var sent: Int
    public var lost: Int
    /// `lost / sent`, from 0 to 1; absent when nothing was sent.
    public var loss: Double?
    /// Over the answered probes; the average is weighted by answered probes. Absent when none was answered.
    public var rttMin: Double?
    public var rttAvg: Double?
    public var rttMax: Double?
    /// The worst state any edge of the location reported in the bucket.
    public var state: TunnelState

    enum CodingKeys: String, CodingKey {
        case at, sent, lost, loss, state
        case rttMin = "rtt_min_ms"
        case rttAvg = "rtt_avg_ms"
        case rttMax = "rtt_max_ms"
    }

    public init(at: Date, sent: Int, lost: Int, loss: Double?, rttMin: Double?, rttAvg: Double?, rttMax: Double?, state: TunnelState) {
        self.at = at
        self.sent = sent
        self.lost = lost
        self.loss = loss
        self.rttMin = rttMin
        self.rttAvg = rttAvg
        self.rttMax = rttMax
        self.state = state
    }
}
