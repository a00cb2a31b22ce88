import Foundation
import MoatModel

/// Holds the newest compiled config of every location and wakes the edges that wait for it.
///
/// Each config is encoded once, when it changes, so a long-poll that returns only copies bytes.
package actor ConfigBroadcaster {
    package struct Compiled: Sendable {
        package var version: Int
        package var body: [UInt8]
    }

    private struct Waiter {
        var location: String
        var after: Int
        var continuation: CheckedContinuation<Compiled?, Never>
    }

    private var configs: [String: Compiled] = [:]
    private var waiters: [UInt64: Waiter] = [:]
    private var nextWaiterID: UInt64 = 0
    /// Open long-polls per edge: an edge with one is "connected".
    private var openPolls: [String: Int] = [:]
    /// After shutdown begins, waits end at once so the HTTP server can drain.
    private var closed = false

    package init() {}

    package func load(_ configs: [String: EdgeConfig]) throws {
        let encoder = MoatJSON.encoder()
        for (location, config) in configs {
            self.configs[location] = Compiled(version: config.version, body: Array(try encoder.encode(config)))
        }
    }

    /// Publishes new configs and wakes the waiters of their locations.
    package func publish(_ changed: [EdgeConfig]) {
        let encoder = MoatJSON.encoder()
        for config in changed {
            guard let body = try? encoder.encode(config) else { continue }
            let compiled = Compiled(version: config.version, body: Array(body))
            if let existing = configs[config.location], existing.version >= compiled.version { continue }
            configs[config.location] = compiled
            for (id, waiter) in waiters where waiter.location == config.location && compiled.version > waiter.after {
                waiters[id] = nil
                waiter.continuation.resume(returning: compiled)
            }
        }
    }

    package func current(location: String) -> Compiled? { configs[location] }

    /// The location's config once its version exceeds `after`, or nil when `timeout` passes first.
    package func next(location: String, after: Int, timeout: Duration, edgeID: String) async -> Compiled? {
        if let compiled = configs[location], compiled.version > after { return compiled }
        if closed { return nil }
        openPolls[edgeID, default: 0] += 1
        defer {
            openPolls[edgeID, default: 1] -= 1
            if openPolls[edgeID] == 0 { openPolls[edgeID] = nil }
        }
        nextWaiterID += 1
        let id = nextWaiterID
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiters[id] = Waiter(location: location, after: after, continuation: continuation)
            }
        } onCancel: {
            Task { await self.expire(id) }
        }
        timer.cancel()
        return result
    }

    /// Ends every wait (answered as "nothing new") and refuses new ones: core is shutting down.
    package func close() {
        closed = true
        for (_, waiter) in waiters { waiter.continuation.resume(returning: nil) }
        waiters.removeAll()
    }

    private func expire(_ id: UInt64) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: nil)
    }

    package func isConnected(_ edgeID: String) -> Bool { openPolls[edgeID] != nil }

    package var connectedCount: Int { openPolls.count }
}
