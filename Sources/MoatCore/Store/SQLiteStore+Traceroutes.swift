import Foundation
import GRDB
import MoatModel

/// Traceroute jobs are not configuration: no version bump, no audit record.
extension SQLiteStore {
    package func createTraceroute(_ traceroute: Traceroute, expiresAt: Date) async throws {
        try await pool.write { db in
            try Self.requireAccount(db, traceroute.accountID)
            try db.execute(sql: "DELETE FROM traceroutes WHERE expires_at < ?", arguments: [traceroute.createdAt])
            try TracerouteRecord(traceroute, expiresAt: expiresAt).insert(db)
            let positions = Dictionary(uniqueKeysWithValues: traceroute.targets.enumerated().map { ($0.element.address, $0.offset) })
            for result in traceroute.results {
                try TracerouteResultRecord(tracerouteID: traceroute.id, position: positions[result.target] ?? 0, result,
                                           at: traceroute.createdAt).insert(db)
            }
        }
    }

    /// The job as it stands at `now`; locations still open past the deadline are failed first.
    package func traceroute(accountID: String, id: String, at now: Date) async throws -> Traceroute {
        try await pool.write { db in
            try Self.requireAccount(db, accountID)
            guard let record = try TracerouteRecord.fetchOne(db, key: id), record.accountID == accountID, record.expiresAt > now else {
                throw APIError.notFound("traceroute", id)
            }
            if now >= record.deadline { try Self.failOverdue(db, record, at: now) }
            let results = try TracerouteResultRecord.filter(Column("traceroute_id") == id).fetchAll(db)
            return record.traceroute(results)
        }
    }

    static func failOverdue(_ db: Database, _ record: TracerouteRecord, at now: Date) throws {
        let seconds = Int(record.deadline.timeIntervalSince(record.createdAt).rounded())
        try db.execute(sql: """
            UPDATE traceroute_results SET status = 'failed', updated_at = ?,
              error = CASE status WHEN 'pending' THEN 'no edge of the location took the job within \(seconds) s'
                                  ELSE 'the edge did not report within \(seconds) s' END
            WHERE traceroute_id = ? AND status IN ('pending', 'running')
            """, arguments: [now, record.id])
    }

    /// An edge took the job: its location's targets are running.
    package func startTraceroute(id: String, edgeID: String, location: String, at now: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: """
                UPDATE traceroute_results SET status = 'running', updated_at = ?
                WHERE traceroute_id = ? AND location = ? AND edge_id = ? AND status = 'pending'
                """, arguments: [now, id, location, edgeID])
        }
    }

    /// What an edge reports for targets of a job it was given. A report sent again (after a
    /// timeout) changes nothing; one after the deadline is refused.
    package func recordTracerouteResults(id: String, edgeID: String, location: String, _ report: EdgeTracerouteReport, at now: Date) async throws {
        try await pool.write { db in
            guard let record = try TracerouteRecord.fetchOne(db, key: id) else { throw APIError.notFound("job", id) }
            guard now < record.deadline else {
                throw APIError.conflict("job \(id) passed its deadline at \(RFC3339.string(record.deadline)); its results are no longer taken")
            }
            for (index, result) in report.results.enumerated() {
                let key = ["traceroute_id": id, "target": result.target.description, "location": location]
                guard var row = try TracerouteResultRecord.fetchOne(db, key: key), row.edgeID == edgeID else {
                    throw APIError.invalid("\(result.target) is not a target of job \(id) for this edge", field: "results[\(index)].target")
                }
                if row.status.isFinal { continue }
                row.status = result.error == nil ? .done : .failed
                row.error = result.error
                row.reached = result.reached
                row.hops = result.hops
                row.updatedAt = now
                try row.update(db)
            }
        }
    }
}
