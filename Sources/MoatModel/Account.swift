import Foundation

/// A tenant. Accounts own prefixes, tunnels and routes; tokens are scoped to one account.
public struct Account: Codable, Equatable, Sendable {
    public var id: String
    public var name: String
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name
        case createdAt = "created_at"
    }

    public init(id: String = Identifier.make("acc"), name: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// The fields a caller sets on an account.
public struct AccountSpec: Equatable, Sendable {
    public var name: String

    public init(name: String) { self.name = name }

    public init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        name = try reader.string("name", maxLength: 128)
        try reader.finish()
        try validate()
    }

    public mutating func apply(patch json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        if let name = try reader.optionalString("name", maxLength: 128) { self.name = name }
        try reader.finish()
        try validate()
    }

    func validate() throws(ValidationError) {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError(.invalidValue, "must not be empty", field: "name")
        }
    }
}
