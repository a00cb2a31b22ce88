import Foundation
import HTTPTypes
import Hummingbird
import MoatModel

/// `/v1/accounts/{account}/tunnels`: GRE tunnels to the account's routers.
struct TunnelsController {
    let store: any Store

    func register(on api: APIRouter) {
        let base = "/v1/accounts/:account/tunnels"
        api.on(.post, base) { request, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let spec = try TunnelSpec(json: try await request.jsonBody())
            let written = try await store.createTunnel(accountID: accountID, spec, actor: principal.actor)
            return try JSONResponse.make(status: .created, written.value, version: written.version)
        }
        api.on(.get, base) { _, context in
            let accountID = try context.parameters.require("account")
            _ = try context.requireAccess(to: accountID, write: false)
            return try JSONResponse.make(ItemList(items: try await store.tunnels(accountID: accountID)))
        }
        api.on(.get, base + "/:tunnel") { _, context in
            let accountID = try context.parameters.require("account")
            _ = try context.requireAccess(to: accountID, write: false)
            return try JSONResponse.make(try await store.tunnel(accountID: accountID, id: try context.parameters.require("tunnel")))
        }
        api.on(.patch, base + "/:tunnel") { request, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let body = try await request.jsonBody()
            let written = try await store.updateTunnel(accountID: accountID, id: try context.parameters.require("tunnel"), actor: principal.actor) { spec in
                try spec.apply(patch: body)
            }
            return try JSONResponse.make(written.value, version: written.version)
        }
        api.on(.delete, base + "/:tunnel") { _, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let written = try await store.deleteTunnel(accountID: accountID, id: try context.parameters.require("tunnel"), actor: principal.actor)
            return Response(status: .noContent, headers: [.moatConfigVersion: String(written.version)])
        }
    }
}
