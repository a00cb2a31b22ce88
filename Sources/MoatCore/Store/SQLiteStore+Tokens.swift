import Foundation
import GRDB
import MoatModel

extension SQLiteStore {
    package func principal(tokenHash: String) async throws -> Principal? {
        try await pool.read { db in
            if let token = try TokenRecord.filter(Column("hash") == tokenHash).fetchOne(db) {
                switch token.scope {
                case .operator: return .operator(tokenID: token.id)
                case .write, .read:
                    guard let accountID = token.accountID else { return nil }
                    return .account(id: accountID, tokenID: token.id, canWrite: token.scope == .write)
                }
            }
            if let edge = try EdgeRecord.filter(Column("credential_hash") == tokenHash).fetchOne(db) {
                return .edge(id: edge.id, location: edge.location)
            }
            return nil
        }
    }

    package func ensureOperatorToken(hash: String) async throws -> Bool {
        let exists = try await pool.read { db in
            try TokenRecord.filter(Column("scope") == TokenScope.operator.rawValue).fetchCount(db) > 0
        }
        guard !exists else { return false }
        try await replaceOperatorToken(hash: hash)
        return true
    }

    package func replaceOperatorToken(hash: String) async throws {
        let change = Change(actor: "moat", action: "token.operator", summary: "operator token (re)created", affectsConfig: false)
        _ = try await write(change) { db, now in
            try TokenRecord.filter(Column("scope") == TokenScope.operator.rawValue).deleteAll(db)
            let record = TokenRecord(id: Identifier.make("tok"), hash: hash, scope: .operator, accountID: nil, description: "operator", createdAt: now)
            try record.insert(db)
            return ((), record.id)
        }
    }

    package func createToken(accountID: String, spec: TokenSpec, hash: String, actor: String) async throws -> Written<TokenInfo> {
        let change = Change(actor: actor, accountID: accountID, action: "token.create", summary: "scope \(spec.scope.rawValue)", affectsConfig: false)
        return try await write(change) { db, now in
            try Self.requireAccount(db, accountID)
            let record = TokenRecord(id: Identifier.make("tok"), hash: hash, scope: spec.scope, accountID: accountID, description: spec.description, createdAt: now)
            try record.insert(db)
            return (record.info, record.id)
        }
    }

    package func tokens(accountID: String) async throws -> [TokenInfo] {
        try await pool.read { db in
            try Self.requireAccount(db, accountID)
            return try TokenRecord.filter(Column("account_id") == accountID).order(Column("created_at")).fetchAll(db).map(\.info)
        }
    }

    package func deleteToken(accountID: String, id: String, actor: String) async throws -> Written<Void> {
        let change = Change(actor: actor, accountID: accountID, action: "token.delete", objectID: id, affectsConfig: false)
        return try await write(change) { db, _ in
            let deleted = try TokenRecord.filter(Column("account_id") == accountID && Column("id") == id).deleteAll(db)
            guard deleted > 0 else { throw APIError.notFound("token", id) }
            return ((), id)
        }
    }

    static func requireAccount(_ db: Database, _ id: String) throws {
        guard try Account.exists(db, key: id) else { throw APIError.notFound("account", id) }
    }
}
