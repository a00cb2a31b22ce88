import Foundation
import GRDB
import MoatModel

extension SQLiteStore {
    package func createEdge(_ spec: EdgeSpec, enrollmentHash: String, expiresAt: Date, actor: String) async throws -> Written<EdgeInfo> {
        let change = Change(actor: actor, action: "edge.create", summary: "enrolment for \(spec.location)", affectsConfig: false)
        return try await write(change) { db, now in
            guard try Location.exists(db, key: spec.location) else {
                throw APIError.invalid("location '\(spec.location)' does not exist; create it first", field: "location")
            }
            let record = EdgeRecord(id: Identifier.make("edg"), location: spec.location, name: spec.name, status: .pending,
                                    createdAt: now, enrollmentHash: enrollmentHash, enrollmentExpiresAt: expiresAt)
            try record.insert(db)
            return (record.info, record.id)
        }
    }

    package func edges() async throws -> [EdgeInfo] {
        try await pool.read { db in try EdgeRecord.order(Column("location"), Column("created_at")).fetchAll(db).map(\.info) }
    }

    package func deleteEdge(_ id: String, actor: String) async throws -> Written<Void> {
        try await write(Change(actor: actor, action: "edge.delete", objectID: id, affectsConfig: true)) { db, _ in
            if let peer = try BGPPeerRecord.fetchAll(db).map({ try $0.peer() }).first(where: { $0.edge == id }) {
                throw APIError.conflict("BGP peer '\(peer.name)' of location '\(peer.location)' runs only on edge \(id); delete it or clear its edge first")
            }
            guard try EdgeRecord.deleteOne(db, key: id) else { throw APIError.notFound("edge", id) }
            return ((), id)
        }
    }

    package func enroll(enrollmentHash: String, credentialHash: String, hostname: String?, agentVersion: String?, at now: Date) async throws -> EdgeInfo {
        let change = Change(actor: "enrollment", action: "edge.enroll", summary: hostname, affectsConfig: true)
        return try await write(change) { db, _ in
            guard var record = try EdgeRecord.filter(Column("enrollment_hash") == enrollmentHash).fetchOne(db) else {
                throw APIError(.unauthorized, code: "invalid_enrollment_token", "the enrolment token is unknown or was already used", field: "token")
            }
            if let expiry = record.enrollmentExpiresAt, expiry < now {
                throw APIError(.unauthorized, code: "invalid_enrollment_token", "the enrolment token expired at \(expiry); create a new one with POST /v1/edges", field: "token")
            }
            record.status = .enrolled
            record.enrollmentHash = nil
            record.enrollmentExpiresAt = nil
            record.credentialHash = credentialHash
            record.hostname = hostname
            record.agentVersion = agentVersion
            record.lastSeen = now
            try record.update(db)
            return (record.info, record.id)
        }.value
    }

    /// Reports from edges are not changes by a user: no version bump, no audit record.
    package func recordEdgeReport(_ id: String, _ report: EdgeReport) async throws {
        try await recordEdgeReports([id: report])
    }

    package func recordEdgeReports(_ reports: [String: EdgeReport]) async throws {
        try await pool.write { db in
            for (id, report) in reports {
                guard var record = try EdgeRecord.fetchOne(db, key: id) else { continue }
                if let applied = report.appliedVersion { record.appliedVersion = applied }
                if let agent = report.agentVersion { record.agentVersion = agent }
                if let error = report.lastError { record.lastError = error }
                record.lastSeen = max(record.lastSeen ?? .distantPast, report.seenAt)
                try record.update(db)
            }
        }
    }
}
