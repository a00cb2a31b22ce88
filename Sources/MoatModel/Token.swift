import Foundation

/// What a bearer token may do.
public enum TokenScope: String, Codable, CaseIterable, Sendable {
    /// Everything: accounts, locations, edges, prefix approval, and every account's objects.
    case `operator`
    /// Read and change one account's objects.
    case write
    /// Read one account's objects.
    case read
}

/// A token as listed: never the secret, which is shown once at creation.
public struct TokenInfo: Codable, Equatable, Sendable {
    public var id: String
    public var scope: TokenScope
    public var accountID: String?
    public var description: String?
    public var createdAt: Date
    /// Only in the answer to the request that created the token.
    public var token: String?

    enum CodingKeys: String, CodingKey {
        case id, scope, description, token
        case accountID = "account_id"
        case createdAt = "created_at"
    }

    public init(id: String, scope: TokenScope, accountID: String?, description: String?, createdAt: Date, token: String? = nil) {
        self.id = id
        self.scope = scope
        self.accountID = accountID
        self.description = description
        self.createdAt = createdAt
        self.token = token
    }
}

public struct TokenSpec: Equatable, Sendable {
    public var scope: TokenScope
    public var description: String?

    public init(scope: TokenScope, description: String? = nil) {
        self.scope = scope
        self.description = description
    }

    /// Account tokens are `read` or `write`; the operator token is made by `moat up`/`moat core`.
    public init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        guard let scope = try reader.optionalEnum("scope", TokenScope.self) else { throw reader.missing("scope") }
        guard scope != .operator else {
            throw ValidationError(.invalidValue, "account tokens have scope 'read' or 'write'", field: "scope")
        }
        self.scope = scope
        description = try reader.optionalString("description", maxLength: 256)
        try reader.finish()
    }
}
