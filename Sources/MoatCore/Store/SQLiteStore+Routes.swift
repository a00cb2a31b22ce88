import Foundation
import GRDB
import MoatModel

extension SQLiteStore {
    package func createRoute(accountID: String, _ spec: RouteSpec, actor: String) async throws -> Written<Route> {
        let change = Change(actor: actor, accountID: accountID, action: "route.create", summary: "\(spec.prefix) via \(spec.nexthop)", affectsConfig: true)
        return try await write(change) { db, now in
            try Self.requireAccount(db, accountID)
            let tunnelID = try Self.checkRoute(db, accountID: accountID, spec)
            let route = Route(accountID: accountID, spec: spec, tunnelID: tunnelID, at: now)
            try route.insert(db)
            return (route, route.id)
        }
    }

    package func routes(accountID: String) async throws -> [Route] {
        try await pool.read { db in
            try Self.requireAccount(db, accountID)
            return try Route.owned(by: accountID).fetchAll(db)
                .sorted { ($0.prefix, $0.priority, $0.id) < ($1.prefix, $1.priority, $1.id) }
        }
    }

    package func route(accountID: String, id: String) async throws -> Route {
        try await pool.read { db in try Self.fetchOwned(Route.self, db, accountID: accountID, id: id) }
    }

    package func updateRoute(accountID: String, id: String, actor: String, _ change: @Sendable (inout RouteSpec) throws -> Void) async throws -> Written<Route> {
        let current = try await route(accountID: accountID, id: id)
        var spec = current.spec
        try change(&spec)
        let updated = spec
        let describe = Change(actor: actor, accountID: accountID, action: "route.update", objectID: id, summary: "\(updated.prefix) via \(updated.nexthop)", affectsConfig: true)
        return try await write(describe) { db, now in
            let existing = try Self.fetchOwned(Route.self, db, accountID: accountID, id: id)
            let tunnelID = try Self.checkRoute(db, accountID: accountID, updated)
            var route = Route(id: id, accountID: accountID, spec: updated, tunnelID: tunnelID, at: existing.createdAt)
            route.updatedAt = now
            try route.update(db)
            return (route, id)
        }
    }

    package func deleteRoute(accountID: String, id: String, actor: String) async throws -> Written<Void> {
        try await write(Change(actor: actor, accountID: accountID, action: "route.delete", objectID: id, affectsConfig: true)) { db, _ in
            _ = try Self.fetchOwned(Route.self, db, accountID: accountID, id: id)
            _ = try Route.deleteOne(db, key: id)
            return ((), id)
        }
    }

    /// A route stays inside the account's own address space, points at one of its tunnels and
    /// names locations and regions that exist. Answers the next hop's tunnel.
    static func checkRoute(_ db: Database, accountID: String, _ spec: RouteSpec) throws -> String {
        let prefixes = try Prefix.owned(by: accountID).fetchAll(db)
        guard prefixes.contains(where: { $0.cidr.contains(spec.prefix) }) else {
            throw APIError.invalid("\(spec.prefix) is not inside any of the account's prefixes; onboard the prefix first", field: "prefix")
        }
        let tunnels = try Tunnel.owned(by: accountID).fetchAll(db)
        guard let tunnel = tunnels.first(where: { $0.customerAddress == spec.nexthop }) else {
            throw APIError.invalid("\(spec.nexthop) is not the customer-side interface address of any of the account's tunnels", field: "nexthop")
        }
        let locations = try Location.fetchAll(db)
        for (index, id) in spec.scope.locations.enumerated() where !locations.contains(where: { $0.id == id }) {
            throw APIError.invalid("location '\(id)' does not exist", field: "scope.locations[\(index)]")
        }
        let regions = Set(locations.map(\.region))
        for (index, region) in spec.scope.regions.enumerated() where !regions.contains(region) {
            throw APIError.invalid("no location is in region '\(region)'", field: "scope.regions[\(index)]")
        }
        return tunnel.id
    }
}
