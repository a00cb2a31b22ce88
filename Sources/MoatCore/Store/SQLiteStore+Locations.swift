import Foundation
import GRDB
import MoatModel

extension SQLiteStore {
    package func createLocation(_ spec: LocationSpec, actor: String) async throws -> Written<Location> {
        let change = Change(actor: actor, action: "location.create", objectID: spec.id, summary: "\(spec.name) (\(spec.region))", affectsConfig: true)
        return try await write(change) { db, now in
            guard try !Location.exists(db, key: spec.id) else {
                throw APIError.conflict("location '\(spec.id)' already exists", field: "id")
            }
            let location = Location(id: spec.id, name: spec.name, region: spec.region, createdAt: now)
            try location.insert(db)
            return (location, location.id)
        }
    }

    package func locations() async throws -> [Location] {
        try await pool.read { db in try Location.order(Column("id")).fetchAll(db) }
    }

    package func location(_ id: String) async throws -> Location {
        try await pool.read { db in
            guard let location = try Location.fetchOne(db, key: id) else { throw APIError.notFound("location", id) }
            return location
        }
    }

    package func updateLocation(_ id: String, actor: String, _ change: @Sendable (inout LocationSpec) throws -> Void) async throws -> Written<Location> {
        let current = try await location(id)
        var spec = LocationSpec(id: current.id, name: current.name, region: current.region)
        try change(&spec)
        let updated = spec
        return try await write(Change(actor: actor, action: "location.update", objectID: id, summary: "\(updated.name) (\(updated.region))", affectsConfig: true)) { db, _ in
            guard var location = try Location.fetchOne(db, key: id) else { throw APIError.notFound("location", id) }
            location.name = updated.name
            location.region = updated.region
            try location.update(db)
            return (location, id)
        }
    }

    package func deleteLocation(_ id: String, actor: String) async throws -> Written<Void> {
        try await write(Change(actor: actor, action: "location.delete", objectID: id, affectsConfig: true)) { db, _ in
            guard try Location.exists(db, key: id) else { throw APIError.notFound("location", id) }
            let edges = try EdgeRecord.filter(Column("location") == id).fetchCount(db)
            if edges > 0 { throw APIError.conflict("location '\(id)' still has \(edges) edge(s); delete them first") }
            let peers = try BGPPeerRecord.filter(Column("location") == id).fetchCount(db)
            if peers > 0 { throw APIError.conflict("location '\(id)' still has \(peers) BGP peer(s); delete them first") }
            if let app = try SpectrumAppRecord.fetchAll(db).map({ try $0.app() }).first(where: { $0.locations.contains(id) }) {
                throw APIError.conflict("app \(app.id) is scoped to location '\(id)'; change its locations first")
            }
            let scoped = try Route.fetchAll(db).filter { $0.scope.locations.contains(id) }
            if let route = scoped.first {
                throw APIError.conflict("route \(route.id) is scoped to location '\(id)'; change its scope first")
            }
            _ = try Location.deleteOne(db, key: id)
            return ((), id)
        }
    }
}
