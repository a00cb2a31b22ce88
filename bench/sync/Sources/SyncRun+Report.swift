import Foundation

extension SyncRun.Report {
    /// The table the benchmark prints (and that goes into bench/RESULTS.md).
    func render(workDirectory: String, kept: Bool, target: Double) -> String {
        let date = Date().formatted(Date.ISO8601FormatStyle().year().month().day())
        let cores = ProcessInfo.processInfo.activeProcessorCount
        var lines = [
            "bench/sync — \(date), \(edges) edges, \(changes) changes, loopback, \(cores) cores",
            "work directory \(workDirectory) (\(kept ? "kept" : "removed"))",
            Format.row("propagation (API response → all edges applied)",
                       "p50 \(Format.ms(propagation.percentile(0.5)))  p99 \(Format.ms(propagation.percentile(0.99)))  max \(Format.ms(propagation.max))"),
            Format.row("per-edge apply latency",
                       "p50 \(Format.ms(perEdge.percentile(0.5)))  p99 \(Format.ms(perEdge.percentile(0.99)))  max \(Format.ms(perEdge.max))"),
            Format.row("first edge (API response → first edge applied)",
                       "p50 \(Format.ms(firstEdge.percentile(0.5)))  p99 \(Format.ms(firstEdge.percentile(0.99)))  max \(Format.ms(firstEdge.max))"),
            Format.row("end to end (API request → all edges applied)",
                       "p50 \(Format.ms(endToEnd.percentile(0.5)))  p99 \(Format.ms(endToEnd.percentile(0.99)))  max \(Format.ms(endToEnd.max))"),
            Format.row("API write (request → response)",
                       "p50 \(Format.ms(write.percentile(0.5)))  p99 \(Format.ms(write.percentile(0.99)))  max \(Format.ms(write.max))"),
            Format.row("initial sync (start → all edges applied)", Format.ms(initialSync.milliseconds)),
        ]
        if let core = coreCPUPerChange, let bench = benchCPUPerChange {
            lines.append(Format.row("CPU per change", "core \(Format.ms(core.milliseconds))  edges' process \(Format.ms(bench.milliseconds))"))
        }
        if let idle = coreIdle, let after = coreAfter {
            lines.append(Format.row("core RSS", "before edges \(Format.mib(idle.rss))  after run \(Format.mib(after.rss))  peak \(Format.mib(after.peak))"))
        }
        let p99 = propagation.percentile(0.99)
        lines.append("target: propagation p99 < \(Int(target)) ms — \(p99 < target ? "met" : "MISSED")")
        return lines.joined(separator: "\n")
    }
}
