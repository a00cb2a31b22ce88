import Foundation
import GRDB
import MoatModel

extension SQLiteStore {
    package func createAccount(_ spec: AccountSpec, actor: String) async throws -> Written<Account> {
        let change = Change(actor: actor, action: "account.create", summary: spec.name, affectsConfig: false)
        return try await write(change) { db, now in
            var account = Account(name: spec.name, createdAt: now)
            account.id = Identifier.make("acc")
            try account.insert(db)
            return (account, account.id)
        }
    }

    package func accounts() async throws -> [Account] {
        try await pool.read { db in try Account.order(Column("created_at"), Column("id")).fetchAll(db) }
    }

    package func account(_ id: String) async throws -> Account {
        try await pool.read { db in
            guard let account = try Account.fetchOne(db, key: id) else { throw APIError.notFound("account", id) }
            return account
        }
    }

    package func updateAccount(_ id: String, actor: String, _ change: @Sendable (inout AccountSpec) throws -> Void) async throws -> Written<Account> {
        let current = try await account(id)
        var spec = AccountSpec(name: current.name)
        try change(&spec)
        let updated = spec
        return try await write(Change(actor: actor, accountID: id, action: "account.update", objectID: id, summary: updated.name, affectsConfig: false)) { db, _ in
            guard var account = try Account.fetchOne(db, key: id) else { throw APIError.notFound("account", id) }
            account.name = updated.name
            try account.update(db)
            return (account, id)
        }
    }

    /// An account is deleted only once it owns nothing that edges act on.
    package func deleteAccount(_ id: String, actor: String) async throws -> Written<Void> {
        try await write(Change(actor: actor, accountID: id, action: "account.delete", objectID: id, affectsConfig: false)) { db, _ in
            try Self.requireAccount(db, id)
            for (table, noun) in [("prefixes", "prefixes"), ("tunnels", "tunnels"), ("routes", "routes")] {
                let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE account_id = ?", arguments: [id]) ?? 0
                if count > 0 { throw APIError.conflict("the account still has \(count) \(noun); delete them first") }
            }
            _ = try Account.deleteOne(db, key: id)
            return ((), id)
        }
    }
}
