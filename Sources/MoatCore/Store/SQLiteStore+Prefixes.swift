import Foundation
import GRDB
import MoatModel

extension SQLiteStore {
    package func createPrefix(accountID: String, _ spec: PrefixSpec, originCheck: OriginCheck, actor: String) async throws -> Written<Prefix> {
        let change = Change(actor: actor, accountID: accountID, action: "prefix.create", summary: spec.cidr.description, affectsConfig: true)
        return try await write(change) { db, now in
            try Self.requireAccount(db, accountID)
            if spec.advertised {
                throw APIError.conflict("a new prefix is pending until the operator approves it; advertise it after approval", field: "advertised")
            }
            for other in try Prefix.fetchAll(db) where other.cidr.overlaps(spec.cidr) {
                if other.accountID != accountID {
                    throw APIError.conflict("\(spec.cidr) overlaps \(other.cidr), which belongs to another account", field: "cidr")
                }
                if other.cidr == spec.cidr {
                    throw APIError.conflict("\(spec.cidr) is already onboarded as \(other.id)", field: "cidr")
                }
            }
            let prefix = Prefix(accountID: accountID, spec: spec, at: now)
            try Self.verifyOrigin(db, prefix, check: originCheck)
            try prefix.insert(db)
            return (prefix, prefix.id)
        }
    }

    package func prefixes(accountID: String) async throws -> [Prefix] {
        try await pool.read { db in
            try Self.requireAccount(db, accountID)
            return try Prefix.owned(by: accountID).fetchAll(db).sorted { $0.cidr < $1.cidr }
        }
    }

    package func prefix(accountID: String, id: String) async throws -> Prefix {
        try await pool.read { db in try Self.fetchOwned(Prefix.self, db, accountID: accountID, id: id) }
    }

    package func updatePrefix(accountID: String, id: String, patch: PrefixPatch, originCheck: OriginCheck, actor: String) async throws -> Written<Prefix> {
        var summary: [String] = []
        if let status = patch.status { summary.append("status=\(status.rawValue)") }
        if let advertised = patch.advertised { summary.append("advertised=\(advertised)") }
        let change = Change(actor: actor, accountID: accountID, action: "prefix.update", objectID: id,
                            summary: summary.isEmpty ? nil : summary.joined(separator: " "), affectsConfig: true)
        return try await write(change) { db, now in
            let current = try Self.fetchOwned(Prefix.self, db, accountID: accountID, id: id)
            var prefix = patch.applied(to: current)
            if prefix.advertised && prefix.status != .approved {
                throw APIError.conflict("prefix \(prefix.cidr) is \(prefix.status.rawValue); only approved prefixes can be advertised", field: "advertised")
            }
            // A new origin, or the operator's approval, must pass the ROA/IRR checks of the moment.
            if prefix.originASN != current.originASN || (prefix.status == .approved && current.status != .approved) {
                try Self.verifyOrigin(db, prefix, check: originCheck)
            }
            prefix.updatedAt = now
            try prefix.update(db)
            return (prefix, id)
        }
    }

    package func deletePrefix(accountID: String, id: String, actor: String) async throws -> Written<Void> {
        try await write(Change(actor: actor, accountID: accountID, action: "prefix.delete", objectID: id, affectsConfig: true)) { db, _ in
            let prefix = try Self.fetchOwned(Prefix.self, db, accountID: accountID, id: id)
            let routes = try Route.owned(by: accountID).fetchAll(db)
            let others = try Prefix.filter(Column("account_id") == accountID && Column("id") != id).fetchAll(db)
            // A route must stay inside some prefix of the account.
            if let orphan = routes.first(where: { route in prefix.cidr.contains(route.prefix) && !others.contains { $0.cidr.contains(route.prefix) } }) {
                throw APIError.conflict("route \(orphan.id) (\(orphan.prefix)) lies in this prefix; delete the route first")
            }
            _ = try Prefix.deleteOne(db, key: id)
            return ((), id)
        }
    }
}
