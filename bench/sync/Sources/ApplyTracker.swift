import Foundation

/// What the edges applied and when, fed by each agent's `onApplied` callback.
///
/// The instant is taken inside the callback, so how soon the benchmark notices does not change
/// the figures; it only decides when the next change is sent.
final class ApplyTracker: @unchecked Sendable {
    struct Applied {
        var version: Int
        var at: ContinuousClock.Instant
    }

    private let lock = NSLock()
    private var history: [[Applied]]
    private var latest: [Int]
    /// Agents whose `run()` ended (they should run until cancelled): the error, if any.
    private var stopped: [Int: String] = [:]
    private var finishedCount = 0

    init(edges: Int) {
        history = Array(repeating: [], count: edges)
        latest = Array(repeating: 0, count: edges)
    }

    var edges: Int { latest.count }

    /// Called by edge `edge` after it applied `version`.
    func applied(edge: Int, version: Int) {
        let now = ContinuousClock.now
        lock.withLock {
            history[edge].append(Applied(version: version, at: now))
            latest[edge] = max(latest[edge], version)
        }
    }

    func agentStopped(edge: Int, error: (any Error)?) {
        lock.withLock { stopped[edge] = error.map { "\($0)" } ?? "run() returned" }
    }

    /// Called when an agent's task ends, cancelled or not.
    func agentFinished() { lock.withLock { finishedCount += 1 } }

    var finished: Int { lock.withLock { finishedCount } }

    /// How many edges run `version` or newer.
    func count(atLeast version: Int) -> Int {
        lock.withLock { latest.reduce(0) { $0 + ($1 >= version ? 1 : 0) } }
    }

    /// Per edge, the instant it first ran `version` or newer (nil for those that have not).
    func reached(_ version: Int) -> [ContinuousClock.Instant?] {
        lock.withLock { history.map { $0.first { $0.version >= version }?.at } }
    }

    /// The lowest version any edge runs, and how many edges run it (for error messages).
    func laggards() -> (version: Int, count: Int) {
        lock.withLock {
            let lowest = latest.min() ?? 0
            return (lowest, latest.filter { $0 == lowest }.count)
        }
    }

    func firstStopped() -> (edge: Int, reason: String)? {
        lock.withLock { stopped.min { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }

    /// Waits until every edge runs `version` or newer; throws when `timeout` passes first or an
    /// agent stopped. Checks every millisecond: cheap next to a sync round trip.
    func waitForAll(atLeast version: Int, timeout: Duration, what: String) async throws {
        let deadline = ContinuousClock.now + timeout
        while count(atLeast: version) < edges {
            if let (edge, reason) = firstStopped() {
                throw BenchError("edge \(edge) stopped while waiting for \(what): \(reason)")
            }
            guard ContinuousClock.now < deadline else {
                let (lowest, laggards) = laggards()
                throw BenchError("""
                    \(what): only \(count(atLeast: version)) of \(edges) edges applied version \(version) within \(timeout); \
                    \(laggards) still run version \(lowest)
                    """)
            }
            try await Task.sleep(for: .milliseconds(1))
        }
    }
}

/// A failure that ends the benchmark with one clear line.
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
