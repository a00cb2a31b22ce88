import Foundation
import HTTPTypes
import Hummingbird
import MoatModel

/// One account-scoped resource as a table row: its path, its ID parameter and what each verb
/// does. `register` adds the five routes with the same tenancy checks, so every resource reads,
/// writes and refuses alike (another account's token gets 404, a read token cannot write).
struct AccountResource<Item: Encodable & Sendable>: Sendable {
    /// e.g. `tunnels` or `firewall/rules`.
    var path: String
    /// The ID's path parameter, e.g. `tunnel`.
    var parameter: String
    var create: @Sendable (_ account: String, _ body: JSONValue, _ actor: Principal) async throws -> Written<Item>
    var list: @Sendable (_ account: String) async throws -> [Item]
    var show: @Sendable (_ account: String, _ id: String) async throws -> Item
    var update: @Sendable (_ account: String, _ id: String, _ body: JSONValue, _ actor: Principal) async throws -> Written<Item>
    var delete: @Sendable (_ account: String, _ id: String, _ actor: Principal) async throws -> Written<Void>
    /// The largest body create and update read.
    var bodyLimit = Request.maximumBodySize

    func register(on api: APIRouter) {
        let base = "/v1/accounts/:account/\(path)"
        let one = "\(base)/:\(parameter)"
        api.on(.post, base) { request, context in
            let account = try context.parameters.require("account")
            let principal = try context.requireAccess(to: account, write: true)
            let written = try await create(account, try await request.jsonBody(limit: bodyLimit), principal)
            return try JSONResponse.make(status: .created, written.value, version: written.version)
        }
        api.on(.get, base) { _, context in
            let account = try context.parameters.require("account")
            _ = try context.requireAccess(to: account, write: false)
            return try JSONResponse.make(ItemListOf(items: try await list(account)))
        }
        api.on(.get, one) { _, context in
            let account = try context.parameters.require("account")
            _ = try context.requireAccess(to: account, write: false)
            return try JSONResponse.make(try await show(account, try context.parameters.require(parameter)))
        }
        api.on(.patch, one) { request, context in
            let account = try context.parameters.require("account")
            let principal = try context.requireAccess(to: account, write: true)
            let body = try await request.jsonBody(limit: bodyLimit)
            let written = try await update(account, try context.parameters.require(parameter), body, principal)
            return try JSONResponse.make(written.value, version: written.version)
        }
        api.on(.delete, one) { _, context in
            let account = try context.parameters.require("account")
            let principal = try context.requireAccess(to: account, write: true)
            let written = try await delete(account, try context.parameters.require(parameter), principal)
            return Response(status: .noContent, headers: [.moatConfigVersion: String(written.version)])
        }
    }
}

/// `{"items": [...]}` for items that only encode.
struct ItemListOf<Item: Encodable>: Encodable {
    var items: [Item]
}
