import Foundation

/// A named IP list of an account, used in rules as `ip.src in $name`. Changing its entries
/// changes a set in the kernel, not the rules.
public struct FirewallList: Codable, Equatable, Sendable {
    public var id: String
    public var accountID: String
    public var name: String
    public var description: String?
    public var items: [CIDR]
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, description, items
        case accountID = "account_id"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(id: String = Identifier.make("lst"), accountID: String, spec: FirewallListSpec, at date: Date) {
        self.id = id
        self.accountID = accountID
        self.name = spec.name
        self.description = spec.description
        self.items = spec.items
        self.createdAt = date
        self.updatedAt = date
    }

    public var spec: FirewallListSpec { FirewallListSpec(name: name, description: description, items: items) }
}

public struct FirewallListSpec: Equatable, Sendable {
    public var name: String
    public var description: String?
    /// Addresses and prefixes; a bare address is its /32 or /128.
    public var items: [CIDR]

    public static let maximumItems = 100_000

    public init(name: String, description: String? = nil, items: [CIDR] = []) {
        self.name = name
        self.description = description
        self.items = items
    }

    public init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        name = try reader.string("name", maxLength: 64)
        description = try reader.optionalString("description", maxLength: 256)
        items = try FirewallListSpec.readItems(&reader) ?? []
        try reader.finish()
        try validate()
    }

    public mutating func apply(patch json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        if let name = try reader.optionalString("name", maxLength: 64) { self.name = name }
        if reader.has("description") { description = try reader.optionalString("description", maxLength: 256) }
        if let items = try FirewallListSpec.readItems(&reader) { self.items = items }
        try reader.finish()
        try validate()
    }

    static func readItems(_ reader: inout ObjectReader) throws(ValidationError) -> [CIDR]? {
        guard let texts = try reader.optionalStringArray("items", maxCount: maximumItems) else { return nil }
        var items: [CIDR] = []
        items.reserveCapacity(texts.count)
        for (index, text) in texts.enumerated() {
            if let address = IPAddress(text) {
                items.append(CIDR(host: address))
                continue
            }
            do {
                items.append(try CIDR.parse(text))
            } catch {
                throw ValidationError(.invalidCIDR, "'\(text)': \(error.message)", field: "items[\(index)]")
            }
        }
        return items
    }

    func validate() throws(ValidationError) {
        guard NameRules.isSlug(name, maxLength: 64) else {
            throw ValidationError(.invalidValue, "'\(name)' is not a list name: 1-64 letters, digits, '-' or '_'", field: "name")
        }
    }
}
