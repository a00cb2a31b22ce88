import Foundation
import HTTPTypes
import Hummingbird
import MoatModel

/// `/v1/accounts/{account}/routes`: static routes from the account's prefixes to its tunnels.
struct RoutesController {
    let store: any Store

    func register(on api: APIRouter) {
        let base = "/v1/accounts/:account/routes"
        api.on(.post, base) { request, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let spec = try RouteSpec(json: try await request.jsonBody())
            let written = try await store.createRoute(accountID: accountID, spec, actor: principal.actor)
            return try JSONResponse.make(status: .created, written.value, version: written.version)
        }
        api.on(.get, base) { _, context in
            let accountID = try context.parameters.require("account")
            _ = try context.requireAccess(to: accountID, write: false)
            return try JSONResponse.make(ItemList(items: try await store.routes(accountID: accountID)))
        }
        api.on(.get, base + "/:route") { _, context in
            let accountID = try context.parameters.require("account")
            _ = try context.requireAccess(to: accountID, write: false)
            return try JSONResponse.make(try await store.route(accountID: accountID, id: try context.parameters.require("route")))
        }
        api.on(.patch, base + "/:route") { request, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let body = try await request.jsonBody()
            let written = try await store.updateRoute(accountID: accountID, id: try context.parameters.require("route"), actor: principal.actor) { spec in
                try spec.apply(patch: body)
            }
            return try JSONResponse.make(written.value, version: written.version)
        }
        api.on(.delete, base + "/:route") { _, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let written = try await store.deleteRoute(accountID: accountID, id: try context.parameters.require("route"), actor: principal.actor)
            return Response(status: .noContent, headers: [.moatConfigVersion: String(written.version)])
        }
    }
}
