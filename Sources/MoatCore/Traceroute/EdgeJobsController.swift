import Foundation
import Hummingbird
import MoatModel

/// `/v1/edge/jobs`: the edges' side of traceroutes. An edge holds `GET /v1/edge/jobs` open (a
/// second long-poll beside config sync), runs what it gets and posts each target's hops.
struct EdgeJobsController {
    let store: any Store
    let jobs: EdgeJobQueue
    let clock: @Sendable () -> Date
    static let longestWait = 120

    func register(on api: APIRouter) {
        api.on(.get, "/v1/edge/jobs") { request, context in
            let edge = try context.requireEdge()
            let wait = try request.queryInt("wait", default: 30, in: 0...Self.longestWait)
            let taken = await jobs.next(edgeID: edge.id, timeout: .seconds(wait), now: clock())
            await jobs.touch(edge.id, now: clock())
            guard !taken.isEmpty else { return Response(status: .noContent) }
            for job in taken { try await store.startTraceroute(id: job.id, edgeID: edge.id, location: edge.location, at: clock()) }
            return try JSONResponse.make(ItemListOf(items: taken))
        }
        api.on(.post, "/v1/edge/jobs/:job/results") { request, context in
            let edge = try context.requireEdge()
            let job = try context.parameters.require("job")
            let report = try Self.report(try await request.jsonBody())
            try await store.recordTracerouteResults(id: job, edgeID: edge.id, location: edge.location, report, at: clock())
            return Response(status: .noContent)
        }
    }

    /// Reads a report, bounded like the jobs it answers (10 targets, 64 hops, 10 probes a hop).
    static func report(_ json: JSONValue) throws -> EdgeTracerouteReport {
        let report: EdgeTracerouteReport
        do {
            report = try MoatJSON.decoder().decode(EdgeTracerouteReport.self, from: try MoatJSON.encoder().encode(json))
        } catch {
            throw APIError.invalid("not a traceroute report: \(error)", field: "results")
        }
        guard report.results.count <= TracerouteRequest.maximumTargets else {
            throw APIError.invalid("at most \(TracerouteRequest.maximumTargets) targets", field: "results")
        }
        for (index, result) in report.results.enumerated() {
            guard result.hops.count <= TracerouteOptions.maximumTTL,
                  result.hops.allSatisfy({ $0.nodes.count <= TracerouteOptions.maximumPacketsPerTTL && $0.sent <= TracerouteOptions.maximumPacketsPerTTL }) else {
                throw APIError.invalid("more hops or probes than a job allows", field: "results[\(index)].hops")
            }
        }
        return report
    }
}
