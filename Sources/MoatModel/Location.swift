import Foundation

/// A point of presence (`ams1`) in a region (`WEUR`). Routes can be scoped to either.
public struct Location: Codable, Equatable, Sendable {
    public var id: String
    public var name: String
    public var region: String
    public var createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, region
        case createdAt = "created_at"
    }

    public init(id: String, name: String, region: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.region = region
        self.createdAt = createdAt
    }
}

public struct LocationSpec: Equatable, Sendable {
    public var id: String
    public var name: String
    public var region: String

    public init(id: String, name: String, region: String) {
        self.id = id
        self.name = name
        self.region = region
    }

    public init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        id = try reader.string("id", maxLength: 64)
        name = try reader.optionalString("name", maxLength: 128) ?? id
        region = try reader.string("region", maxLength: 64)
        try reader.finish()
        try validate()
    }

    /// The ID is the location's name in URLs and configs; it cannot change.
    public mutating func apply(patch json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        if reader.has("id") { throw ValidationError(.invalidValue, "a location's id cannot change", field: "id") }
        if let name = try reader.optionalString("name", maxLength: 128) { self.name = name }
        if let region = try reader.optionalString("region", maxLength: 64) { self.region = region }
        try reader.finish()
        try validate()
    }

    func validate() throws(ValidationError) {
        guard LocationSpec.isValidID(id) else {
            throw ValidationError(.invalidValue, "'\(id)' is not a location id: use 1-32 lowercase letters, digits and '-', starting with a letter (e.g. ams1)", field: "id")
        }
        guard LocationSpec.isValidRegion(region) else {
            throw ValidationError(.invalidValue, "'\(region)' is not a region code: use 2-8 uppercase letters or digits (e.g. WEUR)", field: "region")
        }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError(.invalidValue, "must not be empty", field: "name")
        }
    }

    public static func isValidID(_ id: String) -> Bool {
        guard let first = id.unicodeScalars.first, ("a"..."z").contains(first), id.count <= 32 else { return false }
        return id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    public static func isValidRegion(_ region: String) -> Bool {
        (2...8).contains(region.count)
            && region.unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}
