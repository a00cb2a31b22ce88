import Foundation
import GRDB
import MoatModel

extension SQLiteStore {
    package func createTunnel(accountID: String, _ spec: TunnelSpec, actor: String) async throws -> Written<Tunnel> {
        let change = Change(actor: actor, accountID: accountID, action: "tunnel.create", summary: spec.name, affectsConfig: true)
        return try await write(change) { db, now in
            try Self.requireAccount(db, accountID)
            let others = try Tunnel.owned(by: accountID).fetchAll(db)
            try Self.checkTunnel(spec, against: others)
            let tunnel = Tunnel(accountID: accountID, spec: spec, at: now)
            try tunnel.insert(db)
            return (tunnel, tunnel.id)
        }
    }

    package func tunnels(accountID: String) async throws -> [Tunnel] {
        try await pool.read { db in
            try Self.requireAccount(db, accountID)
            return try Tunnel.owned(by: accountID).order(Column("name")).fetchAll(db)
        }
    }

    package func tunnel(accountID: String, id: String) async throws -> Tunnel {
        try await pool.read { db in try Self.fetchOwned(Tunnel.self, db, accountID: accountID, id: id) }
    }

    package func updateTunnel(accountID: String, id: String, actor: String, _ change: @Sendable (inout TunnelSpec) throws -> Void) async throws -> Written<Tunnel> {
        let current = try await tunnel(accountID: accountID, id: id)
        var spec = current.spec
        try change(&spec)
        let updated = spec
        let describe = Change(actor: actor, accountID: accountID, action: "tunnel.update", objectID: id, summary: updated.name, affectsConfig: true)
        return try await write(describe) { db, now in
            let existing = try Self.fetchOwned(Tunnel.self, db, accountID: accountID, id: id)
            let others = try Tunnel.filter(Column("account_id") == accountID && Column("id") != id).fetchAll(db)
            try Self.checkTunnel(updated, against: others)
            var tunnel = Tunnel(id: id, accountID: accountID, spec: updated, at: existing.createdAt)
            tunnel.updatedAt = now
            if tunnel.customerAddress != existing.customerAddress {
                let routes = try Route.filter(Column("tunnel_id") == id).fetchAll(db)
                if let route = routes.first {
                    throw APIError.conflict("route \(route.id) uses next hop \(existing.customerAddress); move it before changing the interface address", field: "interface_address")
                }
            }
            try tunnel.update(db)
            return (tunnel, id)
        }
    }

    package func deleteTunnel(accountID: String, id: String, actor: String) async throws -> Written<Void> {
        try await write(Change(actor: actor, accountID: accountID, action: "tunnel.delete", objectID: id, affectsConfig: true)) { db, _ in
            _ = try Self.fetchOwned(Tunnel.self, db, accountID: accountID, id: id)
            let routes = try Route.filter(Column("tunnel_id") == id).fetchCount(db)
            if routes > 0 { throw APIError.conflict("\(routes) route(s) use this tunnel as next hop; delete or move them first") }
            _ = try Tunnel.deleteOne(db, key: id)
            return ((), id)
        }
    }

    /// Names are unique in an account and interface prefixes must not overlap, or the next hop
    /// of a route would be ambiguous.
    static func checkTunnel(_ spec: TunnelSpec, against others: [Tunnel]) throws {
        for other in others {
            if other.name == spec.name {
                throw APIError.conflict("the account already has a tunnel named '\(spec.name)'", field: "name")
            }
            if other.interfaceAddress.overlaps(spec.interfaceAddress) {
                throw APIError.conflict("\(spec.interfaceAddress) overlaps the interface address \(other.interfaceAddress) of tunnel '\(other.name)'", field: "interface_address")
            }
        }
    }
}
