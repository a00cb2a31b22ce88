import Foundation
import HTTPTypes
import Hummingbird
import MoatModel

/// `/v1/edges`: enrolments and the status of every edge. Operator only.
struct EdgesController {
    let store: any Store
    let broadcaster: ConfigBroadcaster
    let presence: EdgePresence
    /// How long an enrolment token stays usable.
    static let enrollmentLifetime: TimeInterval = 24 * 3600

    func register(on api: APIRouter) {
        api.on(.post, "/v1/edges") { request, context in
            let principal = try context.requireOperator()
            let spec = try EdgeSpec(json: try await request.jsonBody())
            let secret = TokenSecret.generate()
            var written = try await store.createEdge(spec, enrollmentHash: TokenSecret.hash(secret),
                                                     expiresAt: Date().addingTimeInterval(Self.enrollmentLifetime), actor: principal.actor)
            written.value.enrollmentToken = secret
            return try JSONResponse.make(status: .created, written.value, version: written.version)
        }
        api.on(.get, "/v1/edges") { _, context in
            _ = try context.requireOperator()
            var edges = try await store.edges()
            for index in edges.indices {
                edges[index].connected = await broadcaster.isConnected(edges[index].id)
                if let seen = await presence.lastSeen(edges[index].id), seen > (edges[index].lastSeen ?? .distantPast) {
                    edges[index].lastSeen = seen
                }
            }
            return try JSONResponse.make(ItemList(items: edges))
        }
        api.on(.get, "/v1/edges/:edge") { _, context in
            _ = try context.requireOperator()
            let id = try context.parameters.require("edge")
            guard var edge = try await store.edges().first(where: { $0.id == id }) else { throw APIError.notFound("edge", id) }
            edge.connected = await broadcaster.isConnected(id)
            if let seen = await presence.lastSeen(id), seen > (edge.lastSeen ?? .distantPast) { edge.lastSeen = seen }
            return try JSONResponse.make(edge)
        }
        api.on(.delete, "/v1/edges/:edge") { _, context in
            let principal = try context.requireOperator()
            let written = try await store.deleteEdge(try context.parameters.require("edge"), actor: principal.actor)
            return Response(status: .noContent, headers: [.moatConfigVersion: String(written.version)])
        }
    }
}
