import Foundation
import GRDB
import MoatModel

extension SQLiteStore {
    /// Expired rows are deleted on ingest, at most this often.
    static let tunnelHealthPruneInterval: Int64 = 60

    /// Reports from edges are not changes by a user: no version bump, no audit record.
    package func recordTunnelHealth(edgeID: String, location: String, samples: [TunnelHealthSample], events: [TunnelStateChange], at now: Date) async throws {
        try await pool.write { db in
            let oldest = now.addingTimeInterval(-TunnelHealthRange.rollupRetention)
            let known = try Self.existingTunnels(db, Set(samples.map(\.tunnelID)).union(events.map(\.tunnelID)))
            let samples = samples.filter { known.contains($0.tunnelID) && $0.end >= oldest }
            let events = events.filter { known.contains($0.tunnelID) && $0.at >= oldest }

            // A sample already stored (an edge resending after a timeout) is not rolled up again.
            var added: [TunnelHealthSample] = []
            for sample in samples {
                try TunnelHealthSampleRecord(sample, location: location, edgeID: edgeID).insert(db, onConflict: .ignore)
                if db.changesCount > 0 { added.append(sample) }
            }
            try Self.rollUp(db, location: location, samples: added, events: events)
            try Self.updateCurrent(db, edgeID: edgeID, location: location, samples: samples, events: events, receivedAt: now)
            try Self.pruneTunnelHealth(db, now: now)
        }
    }

    package func tunnelHealth(accountID: String, at now: Date) async throws -> [TunnelHealthOverview] {
        let (tunnels, states) = try await pool.read { db in
            try Self.requireAccount(db, accountID)
            let tunnels = try Tunnel.owned(by: accountID).order(Column("name")).fetchAll(db)
            let states = try TunnelHealthCurrentRecord.fetchAll(db, sql: """
                SELECT c.* FROM tunnel_health_current c JOIN tunnels t ON t.id = c.tunnel_id WHERE t.account_id = ?
                """, arguments: [accountID])
            return (tunnels, states.map(\.edgeState))
        }
        return TunnelHealthMatrix.build(tunnels: tunnels, states: states, now: now)
    }

    package func tunnelHealthHistory(accountID: String, tunnelID: String, range: TunnelHealthRange) async throws -> TunnelHealthHistory {
        let rows = try await pool.read { db -> [(location: String, at: Date, aggregate: TunnelHealthAggregate)] in
            _ = try Self.fetchOwned(Tunnel.self, db, accountID: accountID, id: tunnelID)
            if range.readsSamples {
                return try TunnelHealthSampleRecord
                    .filter(Column("tunnel_id") == tunnelID && Column("start_ms") >= range.from.unixMilliseconds && Column("start_ms") < range.to.unixMilliseconds)
                    .fetchAll(db)
                    .map { ($0.location, Date(unixMilliseconds: $0.startMs), TunnelHealthAggregate($0.sample)) }
            }
            return try TunnelHealthMinuteRecord
                .filter(Column("tunnel_id") == tunnelID && Column("minute") >= Self.unixSeconds(range.from) && Column("minute") < Self.unixSeconds(range.to))
                .fetchAll(db)
                .map { ($0.location, Date(timeIntervalSince1970: TimeInterval($0.minute)), $0.aggregate) }
        }
        return TunnelHealthHistory(tunnelID: tunnelID, from: range.from, to: range.to, step: range.step, locations: range.series(rows))
    }

    /// How many rows each health table holds (retention checks, diagnostics).
    package func tunnelHealthRowCounts() async throws -> (samples: Int, minutes: Int, current: Int) {
        try await pool.read { db in
            (try TunnelHealthSampleRecord.fetchCount(db), try TunnelHealthMinuteRecord.fetchCount(db), try TunnelHealthCurrentRecord.fetchCount(db))
        }
    }

    // MARK: steps of an ingest

    static func existingTunnels(_ db: Database, _ ids: Set<String>) throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return Set(try String.fetchAll(db, Tunnel.select(Column("id")).filter(ids.contains(Column("id")))))
    }

    /// Samples count in the minute their interval starts in; a state change in the minute it happened.
    static func rollUp(_ db: Database, location: String, samples: [TunnelHealthSample], events: [TunnelStateChange]) throws {
        struct Minute: Hashable {
            var tunnelID: String
            var start: Int64
        }
        func minute(_ date: Date) -> Int64 { unixSeconds(date) / 60 * 60 }
        var minutes = samples.merged(by: { Minute(tunnelID: $0.tunnelID, start: minute($0.start)) }, TunnelHealthAggregate.init)
        for (key, aggregate) in events.merged(by: { Minute(tunnelID: $0.tunnelID, start: minute($0.at)) }, TunnelHealthAggregate.init) {
            if minutes[key] == nil { minutes[key] = aggregate } else { minutes[key]!.merge(aggregate) }
        }
        for (key, aggregate) in minutes {
            var total = aggregate
            let stored = try TunnelHealthMinuteRecord.fetchOne(db, key: ["tunnel_id": key.tunnelID, "minute": key.start, "location": location])
            if let stored { total.merge(stored.aggregate) }
            try TunnelHealthMinuteRecord(tunnelID: key.tunnelID, location: location, minute: key.start, total).save(db)
        }
    }

    /// Applies the edge's observations of each tunnel in time order; at the same instant a change
    /// goes before a summary, which then agrees with it.
    static func updateCurrent(_ db: Database, edgeID: String, location: String, samples: [TunnelHealthSample],
                              events: [TunnelStateChange], receivedAt: Date) throws {
        let observations = samples.map { (tunnelID: $0.tunnelID, TunnelEdgeState.Observation.summary($0)) }
            + events.map { (tunnelID: $0.tunnelID, TunnelEdgeState.Observation.change($0)) }
        for (tunnelID, list) in Dictionary(grouping: observations, by: \.tunnelID) {
            let ordered = list.map(\.1).sorted { a, b in (a.time, a.isSummary ? 1 : 0) < (b.time, b.isSummary ? 1 : 0) }
            var state = try TunnelHealthCurrentRecord.fetchOne(db, key: ["tunnel_id": tunnelID, "edge_id": edgeID])?.edgeState
            for observation in ordered {
                if state == nil {
                    state = TunnelEdgeState(tunnelID: tunnelID, location: location, edgeID: edgeID, first: observation, receivedAt: receivedAt)
                } else {
                    state?.apply(observation, receivedAt: receivedAt)
                }
            }
            if let state { try TunnelHealthCurrentRecord(state).save(db) }
        }
    }

    /// Raw samples go after a day, roll-ups and an edge's last word after 30 days.
    static func pruneTunnelHealth(_ db: Database, now: Date) throws {
        let seconds = unixSeconds(now)
        let last = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'tunnel_health_pruned'") ?? 0
        // A clock set back must not stop pruning until it catches up.
        guard seconds - last >= tunnelHealthPruneInterval || seconds < last else { return }
        let sampleCutoff = now.addingTimeInterval(-TunnelHealthRange.rawRetention)
        let rollupCutoff = now.addingTimeInterval(-TunnelHealthRange.rollupRetention)
        try db.execute(sql: "DELETE FROM tunnel_health_samples WHERE end_ms < ?", arguments: [sampleCutoff.unixMilliseconds])
        try db.execute(sql: "DELETE FROM tunnel_health_minutes WHERE minute < ?", arguments: [unixSeconds(rollupCutoff)])
        try db.execute(sql: "DELETE FROM tunnel_health_current WHERE last_report_ms < ?", arguments: [rollupCutoff.unixMilliseconds])
        try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'tunnel_health_pruned'", arguments: [seconds])
    }

    static func unixSeconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
}

extension TunnelEdgeState.Observation {
    var isSummary: Bool { if case .summary = self { return true } else { return false } }
}
