import Foundation
import HTTPTypes
import Hummingbird
import MoatModel

/// `/v1/accounts/{account}/prefixes`: BYOIP onboarding. Accounts propose and advertise; only the
/// operator changes `status`.
struct PrefixesController {
    let store: any Store

    func register(on api: APIRouter) {
        let base = "/v1/accounts/:account/prefixes"
        api.on(.post, base) { request, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let spec = try PrefixSpec(json: try await request.jsonBody())
            let written = try await store.createPrefix(accountID: accountID, spec, actor: principal.actor)
            return try JSONResponse.make(status: .created, written.value, version: written.version)
        }
        api.on(.get, base) { _, context in
            let accountID = try context.parameters.require("account")
            _ = try context.requireAccess(to: accountID, write: false)
            return try JSONResponse.make(ItemList(items: try await store.prefixes(accountID: accountID)))
        }
        api.on(.get, base + "/:prefix") { _, context in
            let accountID = try context.parameters.require("account")
            _ = try context.requireAccess(to: accountID, write: false)
            return try JSONResponse.make(try await store.prefix(accountID: accountID, id: try context.parameters.require("prefix")))
        }
        api.on(.patch, base + "/:prefix") { request, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let patch = try PrefixPatch(json: try await request.jsonBody())
            if patch.status != nil && !principal.isOperator {
                throw APIError(.forbidden, code: "forbidden", "only the operator approves or rejects prefixes", field: "status")
            }
            let written = try await store.updatePrefix(accountID: accountID, id: try context.parameters.require("prefix"), patch: patch, actor: principal.actor)
            return try JSONResponse.make(written.value, version: written.version)
        }
        api.on(.delete, base + "/:prefix") { _, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let written = try await store.deletePrefix(accountID: accountID, id: try context.parameters.require("prefix"), actor: principal.actor)
            return Response(status: .noContent, headers: [.moatConfigVersion: String(written.version)])
        }
    }
}
