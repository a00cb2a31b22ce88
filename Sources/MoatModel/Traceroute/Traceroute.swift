import Foundation

/// A traceroute job as the API shows it: what was asked and, per target and location, what came
/// back so far.
public struct Traceroute: Codable, Equatable, Sendable {
    public enum Status: String, Codable, CaseIterable, Sendable {
        /// Some location has not answered yet.
        case running
        /// Every location answered or was given up on.
        case complete
    }

    public var id: String
    public var accountID: String
    public var status: Status
    public var createdAt: Date
    /// Locations that have not answered by then are reported with an error.
    public var deadline: Date
    public var options: TracerouteOptions
    public var targets: [TracerouteTarget]
    public var locations: [String]
    /// One per target and location, targets in the order asked, locations by ID.
    public var results: [TracerouteResult]

    enum CodingKeys: String, CodingKey {
        case id, status, deadline, options, targets, locations, results
        case accountID = "account_id"
        case createdAt = "created_at"
    }

    public init(id: String, accountID: String, createdAt: Date, deadline: Date, options: TracerouteOptions,
                targets: [TracerouteTarget], locations: [String], results: [TracerouteResult]) {
        self.id = id
        self.accountID = accountID
        self.createdAt = createdAt
        self.deadline = deadline
        self.options = options
        self.targets = targets
        self.locations = locations
        self.results = results
        self.status = results.allSatisfy { $0.status.isFinal } ? .complete : .running
    }
}

/// A target as asked (address or host name) and the address traced.
public struct TracerouteTarget: Codable, Equatable, Sendable {
    public var target: String
    public var address: IPAddress

    public init(target: String, address: IPAddress) {
        self.target = target
        self.address = address
    }
}

/// The trace of one target from one location.
public struct TracerouteResult: Codable, Equatable, Sendable {
    public enum Status: String, Codable, CaseIterable, Sendable {
        /// Waiting for an edge of the location to take the job.
        case pending
        /// An edge took the job and is tracing.
        case running
        /// The edge sent its hops.
        case done
        /// No hops: no edge could run it, or none answered before the deadline (see `error`).
        case failed

        public var isFinal: Bool { self == .done || self == .failed }
    }

    public var target: IPAddress
    public var location: String
    public var edgeID: String?
    public var status: Status
    public var error: String?
    /// The target answered (the trace reached it).
    public var reached: Bool
    public var hops: [TracerouteHop]

    enum CodingKeys: String, CodingKey {
        case target, location, status, error, reached, hops
        case edgeID = "edge_id"
    }

    public init(target: IPAddress, location: String, edgeID: String?, status: Status, error: String? = nil, reached: Bool = false,
                hops: [TracerouteHop] = []) {
        self.target = target
        self.location = location
        self.edgeID = edgeID
        self.status = status
        self.error = error
        self.reached = reached
        self.hops = hops
    }
}
