import Foundation
import HTTPTypes
import Hummingbird
import MoatModel

/// `/v1/locations`: the operator writes; any token may read (accounts scope routes by them).
struct LocationsController {
    let store: any Store

    func register(on api: APIRouter) {
        api.on(.post, "/v1/locations") { request, context in
            let principal = try context.requireOperator()
            let spec = try LocationSpec(json: try await request.jsonBody())
            let written = try await store.createLocation(spec, actor: principal.actor)
            return try JSONResponse.make(status: .created, written.value, version: written.version)
        }
        api.on(.get, "/v1/locations") { _, context in
            _ = try context.requirePrincipal()
            return try JSONResponse.make(ItemList(items: try await store.locations()))
        }
        api.on(.get, "/v1/locations/:location") { _, context in
            _ = try context.requirePrincipal()
            return try JSONResponse.make(try await store.location(try context.parameters.require("location")))
        }
        api.on(.patch, "/v1/locations/:location") { request, context in
            let principal = try context.requireOperator()
            let id = try context.parameters.require("location")
            let body = try await request.jsonBody()
            let written = try await store.updateLocation(id, actor: principal.actor) { spec in try spec.apply(patch: body) }
            return try JSONResponse.make(written.value, version: written.version)
        }
        api.on(.delete, "/v1/locations/:location") { _, context in
            let principal = try context.requireOperator()
            let written = try await store.deleteLocation(try context.parameters.require("location"), actor: principal.actor)
            return Response(status: .noContent, headers: [.moatConfigVersion: String(written.version)])
        }
    }
}
