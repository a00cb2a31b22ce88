import Foundation
import GRDB
import MoatModel

extension TunnelState: DatabaseValueConvertible {}

extension Date {
    var unixMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }
    init(unixMilliseconds: Int64) { self.init(timeIntervalSince1970: TimeInterval(unixMilliseconds) / 1000) }
}

/// One edge's summary of one tunnel, as received; kept a day.
struct TunnelHealthSampleRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "tunnel_health_samples"
    var tunnelID: String
    var location: String
    var edgeID: String
    var startMs: Int64
    var endMs: Int64
    var sent: Int
    var lost: Int
    var rttMin: Double?
    var rttAvg: Double?
    var rttMax: Double?
    var state: TunnelState

    enum CodingKeys: String, CodingKey {
        case location, sent, lost, state
        case tunnelID = "tunnel_id"
        case edgeID = "edge_id"
        case startMs = "start_ms"
        case endMs = "end_ms"
        case rttMin = "rtt_min"
        case rttAvg = "rtt_avg"
        case rttMax = "rtt_max"
    }

    init(_ sample: TunnelHealthSample, location: String, edgeID: String) {
        tunnelID = sample.tunnelID
        self.location = location
        self.edgeID = edgeID
        startMs = sample.start.unixMilliseconds
        endMs = sample.end.unixMilliseconds
        sent = sample.sent
        lost = sample.lost
        rttMin = sample.rttMin
        rttAvg = sample.rttAvg
        rttMax = sample.rttMax
        state = sample.state
    }

    var sample: TunnelHealthSample {
        TunnelHealthSample(tunnelID: tunnelID, start: Date(unixMilliseconds: startMs), end: Date(unixMilliseconds: endMs),
                           sent: sent, lost: lost, rttMin: rttMin, rttAvg: rttAvg, rttMax: rttMax, state: state)
    }
}

/// One tunnel's probes from one location over one minute, summed over the location's edges;
/// kept 30 days.
struct TunnelHealthMinuteRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "tunnel_health_minutes"
    var tunnelID: String
    var location: String
    /// The minute's start, in Unix seconds.
    var minute: Int64
    var sent: Int
    var lost: Int
    var rttMin: Double?
    var rttMax: Double?
    var rttSum: Double
    var rttWeight: Int
    var state: TunnelState

    enum CodingKeys: String, CodingKey {
        case location, minute, sent, lost, state
        case tunnelID = "tunnel_id"
        case rttMin = "rtt_min"
        case rttMax = "rtt_max"
        case rttSum = "rtt_sum"
        case rttWeight = "rtt_weight"
    }

    init(tunnelID: String, location: String, minute: Int64, _ aggregate: TunnelHealthAggregate) {
        self.tunnelID = tunnelID
        self.location = location
        self.minute = minute
        sent = aggregate.sent
        lost = aggregate.lost
        rttMin = aggregate.rttMin
        rttMax = aggregate.rttMax
        rttSum = aggregate.rttSum
        rttWeight = aggregate.rttWeight
        state = aggregate.state
    }

    var aggregate: TunnelHealthAggregate {
        TunnelHealthAggregate(sent: sent, lost: lost, rttMin: rttMin, rttMax: rttMax, rttSum: rttSum, rttWeight: rttWeight, state: state)
    }
}

/// What one edge last said about one tunnel.
struct TunnelHealthCurrentRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "tunnel_health_current"
    var tunnelID: String
    var edgeID: String
    var location: String
    var state: TunnelState
    var sinceMs: Int64
    var observedMs: Int64
    var lastReportMs: Int64

    enum CodingKeys: String, CodingKey {
        case location, state
        case tunnelID = "tunnel_id"
        case edgeID = "edge_id"
        case sinceMs = "since_ms"
        case observedMs = "observed_ms"
        case lastReportMs = "last_report_ms"
    }

    init(_ state: TunnelEdgeState) {
        tunnelID = state.tunnelID
        edgeID = state.edgeID
        location = state.location
        self.state = state.state
        sinceMs = state.since.unixMilliseconds
        observedMs = state.observedAt.unixMilliseconds
        lastReportMs = state.lastReport.unixMilliseconds
    }

    var edgeState: TunnelEdgeState {
        TunnelEdgeState(tunnelID: tunnelID, location: location, edgeID: edgeID, state: state, since: Date(unixMilliseconds: sinceMs),
                        observedAt: Date(unixMilliseconds: observedMs), lastReport: Date(unixMilliseconds: lastReportMs))
    }
}
