import Foundation

/// Latency samples in milliseconds, summarised by nearest-rank percentiles.
struct Samples {
    private(set) var values: [Double] = []

    mutating func add(_ duration: Duration) { values.append(duration.milliseconds) }

    var isEmpty: Bool { values.isEmpty }

    /// Nearest rank: the smallest sample with at least `p` of the samples at or below it.
    func percentile(_ p: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(sorted.count, Swift.max(1, rank)) - 1]
    }

    var max: Double { values.max() ?? .nan }
    var mean: Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}

enum Format {
    static func ms(_ value: Double) -> String {
        value.isNaN ? "-" : String(format: value < 10 ? "%.2f ms" : "%.1f ms", value)
    }

    static func mib(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

    /// Label padded to a column, then the figures.
    static func row(_ label: String, _ figures: String) -> String {
        label.padding(toLength: Swift.max(label.count, 50), withPad: " ", startingAt: 0) + figures
    }
}
