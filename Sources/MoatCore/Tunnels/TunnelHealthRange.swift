import Foundation
import MoatModel

/// The `from`, `to` and `step` of a history query, checked, and how points fall into buckets.
///
/// Buckets start at multiples of `step` since the Unix epoch, so the same step gives the same
/// buckets whatever `from` is, and a step of whole minutes reads whole roll-up minutes.
package struct TunnelHealthRange: Equatable, Sendable {
    /// How long raw samples are kept: steps under a minute read them.
    static let rawRetention: TimeInterval = 24 * 3600
    /// How long per-minute roll-ups are kept: the longest range.
    static let rollupRetention: TimeInterval = 30 * 24 * 3600
    static let minute = 60
    /// Edges summarise every 10 s: a finer step would only split samples.
    static let shortestStep = 10
    static let defaultSpan: TimeInterval = 3600

    /// The first bucket's start: the asked `from` rounded down to a multiple of `step`.
    var from: Date
    var to: Date
    /// Seconds.
    var step: Int

    /// Whether the points come from raw samples (steps under a minute) or from roll-ups.
    var readsSamples: Bool { step < Self.minute }

    /// Reads the query parameters; a fault is a 400 naming the parameter.
    static func parse(from fromText: String?, to toText: String?, step stepText: String?, now: Date) throws -> TunnelHealthRange {
        let to = try toText.map { try date($0, "to") } ?? now
        let from = try fromText.map { try date($0, "from") } ?? to.addingTimeInterval(-defaultSpan)
        var step = minute
        if let stepText {
            guard let value = Int(stepText), value >= shortestStep, value <= Int(rollupRetention) else {
                throw APIError.invalid("'\(stepText)' is not a number of seconds between \(shortestStep) and \(Int(rollupRetention))", field: "step")
            }
            step = value
        }
        guard from < to else { throw APIError.invalid("'from' must be before 'to'", field: "from") }
        guard to.timeIntervalSince(from) <= rollupRetention else {
            throw APIError.invalid("the range is longer than 30 days, the history kept", field: "from")
        }
        if step < minute {
            guard from >= now.addingTimeInterval(-rawRetention) else {
                throw APIError.invalid("steps under 60 s read raw samples, kept for 24 hours; use a step of 60 or more for older ranges", field: "step")
            }
        } else if step % minute != 0 {
            throw APIError.invalid("a step of 60 s or more is a whole number of minutes (the history is kept per minute)", field: "step")
        }
        let first = (Int(from.timeIntervalSince1970.rounded(.down)) / step) * step
        return TunnelHealthRange(from: Date(timeIntervalSince1970: TimeInterval(first)), to: to, step: step)
    }

    static func date(_ text: String, _ name: String) throws -> Date {
        guard let date = RFC3339.date(text) else {
            throw APIError.invalid("'\(text)' is not an RFC 3339 timestamp such as 2026-11-23T12:00:00Z", field: name)
        }
        return date
    }

    /// The start of the bucket that holds `date`, in Unix seconds.
    func bucket(_ date: Date) -> Int {
        let seconds = Int(date.timeIntervalSince1970.rounded(.down))
        return (seconds >= 0 ? seconds / step : (seconds - step + 1) / step) * step
    }

    /// Merges per-location aggregates into buckets: one series per location, by location ID,
    /// points in time order.
    func series(_ rows: [(location: String, at: Date, aggregate: TunnelHealthAggregate)]) -> [TunnelLocationHistory] {
        let merged = rows.merged(by: { BucketKey(location: $0.location, start: bucket($0.at)) }, \.aggregate)
        let byLocation = Dictionary(grouping: merged, by: \.key.location)
        return byLocation.keys.sorted().map { location in
            let points = (byLocation[location] ?? []).sorted { $0.key.start < $1.key.start }
                .map { $0.value.point(at: Date(timeIntervalSince1970: TimeInterval($0.key.start))) }
            return TunnelLocationHistory(location: location, points: points)
        }
    }

    struct BucketKey: Hashable {
        var location: String
        var start: Int
    }
}
