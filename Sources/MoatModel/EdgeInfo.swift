import Foundation

/// An edge server as the operator sees it: where it is and what it runs.
public struct EdgeInfo: Codable, Equatable, Sendable {
    public enum Status: String, Codable, CaseIterable, Sendable {
        /// Created with an enrolment token that has not been used yet.
        case pending
        case enrolled
    }

    public var id: String
    public var location: String
    public var name: String?
    public var status: Status
    public var hostname: String?
    public var agentVersion: String?
    /// The config version the edge reported as applied.
    public var appliedVersion: Int?
    /// The last apply error the edge reported, nil once a config applied.
    public var lastError: String?
    public var lastSeen: Date?
    /// The edge holds a sync request open right now.
    public var connected: Bool
    public var createdAt: Date
    /// Only in the answer to the request that created the enrolment.
    public var enrollmentToken: String?
    public var enrollmentExpiresAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, location, name, status, hostname, connected
        case agentVersion = "agent_version"
        case appliedVersion = "applied_version"
        case lastError = "last_error"
        case lastSeen = "last_seen"
        case createdAt = "created_at"
        case enrollmentToken = "enrollment_token"
        case enrollmentExpiresAt = "enrollment_expires_at"
    }

    public init(id: String = Identifier.make("edg"), location: String, name: String?, status: Status = .pending, createdAt: Date) {
        self.id = id
        self.location = location
        self.name = name
        self.status = status
        self.connected = false
        self.createdAt = createdAt
    }
}

/// `POST /v1/edges`: an enrolment for a location.
public struct EdgeSpec: Equatable, Sendable {
    public var location: String
    public var name: String?

    public init(location: String, name: String? = nil) {
        self.location = location
        self.name = name
    }

    public init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        location = try reader.string("location", maxLength: 64)
        name = try reader.optionalString("name", maxLength: 64)
        try reader.finish()
        guard LocationSpec.isValidID(location) else {
            throw ValidationError(.invalidValue, "'\(location)' is not a location id", field: "location")
        }
    }
}
