import Foundation
import ServiceLifecycle

/// When each edge was last heard from and what it runs, kept in memory and written to the
/// store in one batch a second: a hundred edges re-polling after a change must not cost a
/// hundred synchronous transactions. `GET /v1/edges` overlays what is not written yet.
package actor EdgePresence {
    package struct Seen: Sendable {
        package var at: Date
        package var applied: Int?
    }

    private var seen: [String: Seen] = [:]
    private var dirty: Set<String> = []

    package init() {}

    package func touch(_ edgeID: String, applied: Int?, at now: Date) {
        var entry = seen[edgeID] ?? Seen(at: now, applied: nil)
        entry.at = now
        if let applied { entry.applied = applied }
        seen[edgeID] = entry
        dirty.insert(edgeID)
    }

    package func snapshot(_ edgeID: String) -> Seen? { seen[edgeID] }

    /// What changed since the last call.
    package func drain() -> [String: Seen] {
        var changed: [String: Seen] = [:]
        for id in dirty { changed[id] = seen[id] }
        dirty.removeAll()
        return changed
    }
}

/// Writes edge presence to the store every second, and once more on shutdown.
struct PresenceFlusher: Service {
    let presence: EdgePresence
    let store: any Store
    let interval: Duration = .seconds(1)

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            await flush()
        }
        await flush()
    }

    func flush() async {
        let changed = await presence.drain()
        guard !changed.isEmpty else { return }
        let reports = changed.mapValues { EdgeReport(appliedVersion: $0.applied, agentVersion: nil, lastError: nil, seenAt: $0.at) }
        try? await store.recordEdgeReports(reports)
    }
}
