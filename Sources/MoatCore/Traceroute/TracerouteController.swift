import Foundation
import Hummingbird
import MoatModel

/// `/v1/accounts/{account}/traceroutes`: start a traceroute to the account's own addresses from
/// some or all locations, and read what the edges found so far.
struct TracerouteController {
    let store: any Store
    let jobs: EdgeJobQueue
    let broadcaster: ConfigBroadcaster
    let limiter: SharedTracerouteLimiter
    let clock: @Sendable () -> Date
    /// Jobs are kept this long after they start.
    static let retention: TimeInterval = 24 * 3600
    /// Time for an edge to take the job and send its results, beyond the trace itself.
    static let deadlineMargin: TimeInterval = 10

    func register(on api: APIRouter) {
        api.on(.post, "/v1/accounts/:account/traceroutes") { request, context in
            let account = try context.parameters.require("account")
            _ = try context.requireAccess(to: account, write: true)
            let traceroute = try await create(account: account, TracerouteRequest(json: try await request.jsonBody()))
            return try JSONResponse.make(status: .created, traceroute, version: try await store.currentVersion())
        }
        api.on(.get, "/v1/accounts/:account/traceroutes/:traceroute") { _, context in
            let account = try context.parameters.require("account")
            _ = try context.requireAccess(to: account, write: false)
            let id = try context.parameters.require("traceroute")
            return try JSONResponse.make(try await store.traceroute(accountID: account, id: id, at: clock()))
        }
    }

    func create(account: String, _ request: TracerouteRequest) async throws -> Traceroute {
        let targets = try await authorisedTargets(account: account, request.targets, packetType: request.options.packetType)
        let locations = try await chosenLocations(request.locations)
        let now = clock()
        if let wait = limiter.take(account, now: now) {
            throw APIError(.tooManyRequests, code: "rate_limited",
                           "this account started too many traceroutes; try again in \(Int(wait.rounded(.up))) s")
        }
        let id = Identifier.make("trc")
        let deadline = now.addingTimeInterval(TimeInterval(request.options.worstCaseSeconds) + Self.deadlineMargin)
        let edges = try await store.edges().filter { $0.status == .enrolled }
        var results: [TracerouteResult] = []
        var assigned: [(edge: String, location: String)] = []
        for location in locations {
            let edge = await pickEdge(edges.filter { $0.location == location }, now: now)
            if let edge { assigned.append((edge, location)) }
            for target in targets {
                results.append(TracerouteResult(target: target.address, location: location, edgeID: edge, status: edge == nil ? .failed : .pending,
                                                error: edge == nil ? "no edge of location '\(location)' is connected" : nil))
            }
        }
        let traceroute = Traceroute(id: id, accountID: account, createdAt: now, deadline: deadline, options: request.options,
                                    targets: targets, locations: locations, results: results)
        try await store.createTraceroute(traceroute, expiresAt: now.addingTimeInterval(Self.retention))
        let job = EdgeTracerouteJob(id: id, targets: targets.map(\.address), options: request.options, deadline: deadline)
        for (edge, _) in assigned { await jobs.enqueue(job, for: edge, now: now) }
        return traceroute
    }

    /// Resolves every target and refuses those that are not the account's (403, naming it); a
    /// `gre` trace must go to a customer endpoint of one of the account's tunnels (400).
    func authorisedTargets(account: String, _ texts: [String], packetType: TracerouteOptions.PacketType) async throws -> [TracerouteTarget] {
        let policy = TracerouteTargetPolicy(prefixes: try await store.prefixes(accountID: account), tunnels: try await store.tunnels(accountID: account))
        var targets: [TracerouteTarget] = []
        for (index, text) in texts.enumerated() {
            let address = try await TargetResolver.resolve(text, index: index)
            guard policy.allows(address) else {
                throw APIError(.forbidden, code: "target_not_allowed",
                               "\(address) is neither inside an approved prefix of the account nor a customer endpoint of its tunnels",
                               field: "targets[\(index)]")
            }
            guard policy.allows(address, packetType: packetType) else {
                throw APIError.invalid("a gre traceroute goes through a tunnel to its customer endpoint, and \(address) is the customer endpoint of none of the account's tunnels",
                                       field: "targets[\(index)]")
            }
            if let earlier = targets.firstIndex(where: { $0.address == address }) {
                throw APIError.invalid("'\(text)' is \(address), as targets[\(earlier)] is", field: "targets[\(index)]")
            }
            targets.append(TracerouteTarget(target: text, address: address))
        }
        return targets
    }

    /// The asked locations (each must exist), or every location.
    func chosenLocations(_ asked: [String]) async throws -> [String] {
        let known = try await store.locations().map(\.id).sorted()
        guard !asked.isEmpty else {
            guard !known.isEmpty else { throw APIError.invalid("there are no locations to trace from", field: "locations") }
            return known
        }
        for (index, location) in asked.enumerated() where !known.contains(location) {
            throw APIError.invalid("there is no location '\(location)'", field: "locations[\(index)]")
        }
        return Array(Set(asked)).sorted()
    }

    /// One edge that can take the job now, preferring those whose config sync is connected too.
    func pickEdge(_ edges: [EdgeInfo], now: Date) async -> String? {
        var available: [String] = []
        var synced: [String] = []
        for edge in edges where await jobs.isAvailable(edge.id, now: now) {
            available.append(edge.id)
            if await broadcaster.isConnected(edge.id) { synced.append(edge.id) }
        }
        return (synced.isEmpty ? available : synced).randomElement()
    }
}
