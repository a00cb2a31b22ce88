import Foundation
import HTTPTypes
import Hummingbird
import MoatModel

/// `/v1/accounts` and their tokens: the operator's.
struct AccountsController {
    let store: any Store

    func register(on api: APIRouter) {
        api.on(.post, "/v1/accounts") { request, context in
            let principal = try context.requireOperator()
            let spec = try AccountSpec(json: try await request.jsonBody())
            let written = try await store.createAccount(spec, actor: principal.actor)
            return try JSONResponse.make(status: .created, written.value, version: written.version)
        }
        api.on(.get, "/v1/accounts") { _, context in
            switch try context.requirePrincipal() {
            case .operator:
                return try JSONResponse.make(ItemList(items: try await store.accounts()))
            case .account(let id, _, _):
                // An account token sees its own account only.
                return try JSONResponse.make(ItemList(items: [try await store.account(id)]))
            case .edge:
                throw APIError.forbidden("edge credentials only reach /v1/edge")
            }
        }
        api.on(.get, "/v1/accounts/:account") { _, context in
            let id = try context.parameters.require("account")
            _ = try context.requireAccess(to: id, write: false)
            return try JSONResponse.make(try await store.account(id))
        }
        api.on(.patch, "/v1/accounts/:account") { request, context in
            let id = try context.parameters.require("account")
            let principal = try context.requireOperator(of: id)
            let body = try await request.jsonBody()
            let written = try await store.updateAccount(id, actor: principal.actor) { spec in try spec.apply(patch: body) }
            return try JSONResponse.make(written.value, version: written.version)
        }
        api.on(.delete, "/v1/accounts/:account") { _, context in
            let id = try context.parameters.require("account")
            let principal = try context.requireOperator(of: id)
            let written = try await store.deleteAccount(id, actor: principal.actor)
            return Response(status: .noContent, headers: [.moatConfigVersion: String(written.version)])
        }

        api.on(.post, "/v1/accounts/:account/tokens") { request, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireOperator(of: accountID)
            let spec = try TokenSpec(json: try await request.jsonBody())
            let secret = TokenSecret.generate()
            var written = try await store.createToken(accountID: accountID, spec: spec, hash: TokenSecret.hash(secret), actor: principal.actor)
            written.value.token = secret
            return try JSONResponse.make(status: .created, written.value, version: written.version)
        }
        api.on(.get, "/v1/accounts/:account/tokens") { _, context in
            let accountID = try context.parameters.require("account")
            _ = try context.requireOperator(of: accountID)
            return try JSONResponse.make(ItemList(items: try await store.tokens(accountID: accountID)))
        }
        api.on(.delete, "/v1/accounts/:account/tokens/:token") { _, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireOperator(of: accountID)
            let written = try await store.deleteToken(accountID: accountID,
                                                      id: try context.parameters.require("token"), actor: principal.actor)
            return Response(status: .noContent, headers: [.moatConfigVersion: String(written.version)])
        }
    }
}
