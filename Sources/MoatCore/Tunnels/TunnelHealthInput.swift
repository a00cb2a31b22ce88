import Foundation
import MoatModel

/// Reads the tunnel parts of `POST /v1/edge/telemetry` field by field, naming each fault by its
/// place (`tunnel_health[3].sent`), as the handler reads the rest of the body.
///
/// Tunnel IDs are not checked here: a tunnel may have been deleted since the edge's last config,
/// so the store drops what it does not know instead of refusing the whole report.
enum TunnelHealthInput {
    /// An edge reports each tunnel every 10 s; a backlog after an outage is sent in several posts.
    static let maxSamples = 10_000
    static let maxEvents = 10_000
    /// The high rate is tens of probes a second; this only keeps sums far from overflow.
    static let maxProbes = 1_000_000
    static let maxRTT = 600_000.0
    /// Summaries cover about 10 s; anything much longer is a bug on the edge.
    static let longestInterval: TimeInterval = 3600
    /// An edge's clock may run a little ahead of core's; beyond this its timestamps would corrupt
    /// the history (and staleness), so the report is refused and the edge logs why.
    static let clockSkew: TimeInterval = 300

    static func samples(_ reader: inout ObjectReader, now: Date) throws(ValidationError) -> [TunnelHealthSample] {
        try reader.optionalObjects("tunnel_health", maxCount: maxSamples) { (item: inout ObjectReader) throws(ValidationError) in
            try sample(&item, now: now)
        } ?? []
    }

    static func events(_ reader: inout ObjectReader, now: Date) throws(ValidationError) -> [TunnelStateChange] {
        try reader.optionalObjects("tunnel_events", maxCount: maxEvents) { (item: inout ObjectReader) throws(ValidationError) in
            try event(&item, now: now)
        } ?? []
    }

    static func sample(_ item: inout ObjectReader, now: Date) throws(ValidationError) -> TunnelHealthSample {
        let tunnelID = try item.string("tunnel_id", maxLength: 64)
        let start = try item.date("start")
        let end = try item.date("end")
        let sent = try item.int("sent", in: 0...maxProbes)
        let lost = try item.int("lost", in: 0...maxProbes)
        let rttMin = try item.optionalDouble("rtt_min_ms", in: 0...maxRTT)
        let rttAvg = try item.optionalDouble("rtt_avg_ms", in: 0...maxRTT)
        let rttMax = try item.optionalDouble("rtt_max_ms", in: 0...maxRTT)
        let state = try item.requiredEnum("state", TunnelState.self)

        guard end >= start else { throw ValidationError(.invalidValue, "must not be before start", field: item.fieldPath("end")) }
        guard end.timeIntervalSince(start) <= longestInterval else {
            throw ValidationError(.outOfRange, "a summary covers at most \(Int(longestInterval)) s", field: item.fieldPath("end"))
        }
        try notInFuture(end, "end", item, now: now)
        // `lost` may exceed `sent`: a probe sent near the end of one interval times out in the
        // next, and while a tunnel fails its retries are counted where they are lost. Refusing
        // that would drop the whole report just when a tunnel goes down.
        // The three RTTs come together, or not at all.
        let rtts = [("rtt_min_ms", rttMin), ("rtt_avg_ms", rttAvg), ("rtt_max_ms", rttMax)]
        if rtts.contains(where: { $0.1 != nil }), let absent = rtts.first(where: { $0.1 == nil }) {
            throw ValidationError(.missingField, "'\(absent.0)' is required with the other round-trip times", field: item.fieldPath(absent.0))
        }
        if let rttMin, let rttAvg, let rttMax {
            // An average computed as sum / count may land an ulp outside [min, max].
            let slack = 1e-6
            guard rttMin <= rttMax else { throw ValidationError(.invalidValue, "the maximum is below the minimum", field: item.fieldPath("rtt_max_ms")) }
            guard rttAvg >= rttMin - slack, rttAvg <= rttMax + slack else {
                throw ValidationError(.invalidValue, "the average is not between the minimum and the maximum", field: item.fieldPath("rtt_avg_ms"))
            }
        }
        return TunnelHealthSample(tunnelID: tunnelID, start: start, end: end, sent: sent, lost: lost,
                                  rttMin: rttMin, rttAvg: rttAvg, rttMax: rttMax, state: state)
    }

    static func event(_ item: inout ObjectReader, now: Date) throws(ValidationError) -> TunnelStateChange {
        let tunnelID = try item.string("tunnel_id", maxLength: 64)
        let at = try item.date("at")
        let from = try item.requiredEnum("from", TunnelState.self)
        let to = try item.requiredEnum("to", TunnelState.self)
        try notInFuture(at, "at", item, now: now)
        return TunnelStateChange(tunnelID: tunnelID, at: at, from: from, to: to)
    }

    static func notInFuture(_ date: Date, _ name: String, _ item: ObjectReader, now: Date) throws(ValidationError) {
        guard date.timeIntervalSince(now) <= clockSkew else {
            throw ValidationError(.outOfRange, "\(RFC3339.string(date)) is more than \(Int(clockSkew)) s ahead of core's clock (\(RFC3339.string(now))); check the edge's clock",
                                  field: item.fieldPath(name))
        }
    }
}
