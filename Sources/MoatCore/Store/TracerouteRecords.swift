import Foundation
import GRDB
import MoatModel

/// A row of `traceroutes`: the job as asked.
struct TracerouteRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "traceroutes"

    var id: String
    var accountID: String
    var createdAt: Date
    var deadline: Date
    var expiresAt: Date
    var options: TracerouteOptions
    var targets: [TracerouteTarget]
    var locations: [String]

    enum CodingKeys: String, CodingKey {
        case id, deadline, options, targets, locations
        case accountID = "account_id"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }

    init(_ traceroute: Traceroute, expiresAt: Date) {
        id = traceroute.id
        accountID = traceroute.accountID
        createdAt = traceroute.createdAt
        deadline = traceroute.deadline
        self.expiresAt = expiresAt
        options = traceroute.options
        targets = traceroute.targets
        locations = traceroute.locations
    }

    func traceroute(_ results: [TracerouteResultRecord]) -> Traceroute {
        let ordered = results.sorted { ($0.position, $0.location) < ($1.position, $1.location) }
        return Traceroute(id: id, accountID: accountID, createdAt: createdAt, deadline: deadline, options: options, targets: targets,
                          locations: locations, results: ordered.map(\.result))
    }
}

/// A row of `traceroute_results`: one target from one location.
struct TracerouteResultRecord: Codable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "traceroute_results"

    var tracerouteID: String
    var target: IPAddress
    var location: String
    /// The target's place in the request, for ordering.
    var position: Int
    var edgeID: String?
    var status: TracerouteResult.Status
    var error: String?
    var reached: Bool
    var hops: [TracerouteHop]
    var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case target, location, position, status, error, reached, hops
        case tracerouteID = "traceroute_id"
        case edgeID = "edge_id"
        case updatedAt = "updated_at"
    }

    init(tracerouteID: String, position: Int, _ result: TracerouteResult, at date: Date) {
        self.tracerouteID = tracerouteID
        target = result.target
        location = result.location
        self.position = position
        edgeID = result.edgeID
        status = result.status
        error = result.error
        reached = result.reached
        hops = result.hops
        updatedAt = date
    }

    var result: TracerouteResult {
        TracerouteResult(target: target, location: location, edgeID: edgeID, status: status, error: error, reached: reached, hops: hops)
    }
}

extension TracerouteResult.Status: DatabaseValueConvertible {}
