import Foundation

/// When each edge was last heard from and what it runs, kept in memory so that a sync request
/// costs a database write only when something an operator would see has changed.
package actor EdgePresence {
    private struct Seen {
        var at: Date
        var applied: Int?
        var persistedAt: Date
    }

    private var seen: [String: Seen] = [:]
    /// How stale `last_seen` in the database may get.
    let persistInterval: TimeInterval = 30

    package init() {}

    /// Records a contact; answers whether the store should be updated.
    package func touch(_ edgeID: String, applied: Int?, at now: Date) -> Bool {
        var entry = seen[edgeID] ?? Seen(at: now, applied: nil, persistedAt: .distantPast)
        let changed = applied != nil && applied != entry.applied
        entry.at = now
        if let applied { entry.applied = applied }
        let persist = changed || now.timeIntervalSince(entry.persistedAt) >= persistInterval
        if persist { entry.persistedAt = now }
        seen[edgeID] = entry
        return persist
    }

    package func lastSeen(_ edgeID: String) -> Date? { seen[edgeID]?.at }
}
