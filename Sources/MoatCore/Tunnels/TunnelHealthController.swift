import Foundation
import Hummingbird
import MoatModel

/// `/v1/accounts/{account}/tunnels/health` (every tunnel as every location sees it now) and
/// `/tunnels/{tunnel}/health` (one tunnel's history per location), read-only, with the same
/// tenancy as the account's other resources.
struct TunnelHealthController {
    let store: any Store
    let clock: @Sendable () -> Date

    func register(on api: APIRouter) {
        api.on(.get, "/v1/accounts/:account/tunnels/health") { _, context in
            let account = try context.parameters.require("account")
            _ = try context.requireAccess(to: account, write: false)
            return try JSONResponse.make(ItemList(items: try await store.tunnelHealth(accountID: account, at: clock())))
        }
        api.on(.get, "/v1/accounts/:account/tunnels/:tunnel/health") { request, context in
            let account = try context.parameters.require("account")
            _ = try context.requireAccess(to: account, write: false)
            let tunnel = try context.parameters.require("tunnel")
            let query = request.uri.queryParameters
            let range = try TunnelHealthRange.parse(from: query.get("from"), to: query.get("to"), step: query.get("step"), now: clock())
            return try JSONResponse.make(try await store.tunnelHealthHistory(accountID: account, tunnelID: tunnel, range: range))
        }
    }
}
