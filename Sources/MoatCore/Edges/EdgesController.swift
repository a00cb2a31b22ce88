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
            for index in edges.indices { await overlay(&edges[index]) }
            return try JSONResponse.make(ItemList(items: edges))
        }
        api.on(.get, "/v1/edges/:edge") { _, context in
            _ = try context.requireOperator()
            let id = try context.parameters.require("edge")
            guard var edge = try await store.edges().first(where: { $0.id == id }) else { throw APIError.notFound("edge", id) }
            await overlay(&edge)
            return try JSONResponse.make(edge)
        }
        api.on(.delete, "/v1/edges/:edge") { _, context in
            let principal = try context.requireOperator()
            let written = try await store.deleteEdge(try context.parameters.require("edge"), actor: principal.actor)
            return Response(status: .noContent, headers: [.moatConfigVersion: String(written.version)])
        }
    }

    /// What the store may not hold yet: presence is written once a second.
    func overlay(_ edge: inout EdgeInfo) async {
        edge.connected = await broadcaster.isConnected(edge.id)
        guard let seen = await presence.snapshot(edge.id), seen.at >= (edge.lastSeen ?? .distantPast) else { return }
        edge.lastSeen = seen.at
        if let applied = seen.applied { edge.appliedVersion = applied }
    }
}
