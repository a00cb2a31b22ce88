import Foundation
import Hummingbird
import MoatModel

/// `GET /v1/audit`: the operator sees every change (or one account's with `?account=`); an
/// account token sees its own account's.
struct AuditController {
    let store: any Store

    func register(on api: APIRouter) {
        api.on(.get, "/v1/audit") { request, context in
            var query = AuditQuery(limit: try request.queryInt("limit", default: 100, in: 1...1000))
            if let before = request.uri.queryParameters.get("before") {
                guard let id = Int64(String(before)), id > 0 else { throw APIError.invalid("'\(before)' is not an audit record id", field: "before") }
                query.beforeID = id
            }
            switch try context.requirePrincipal() {
            case .operator:
                query.accountID = request.uri.queryParameters.get("account").map { String($0) }
            case .account(let id, _, _):
                if let asked = request.uri.queryParameters.get("account"), asked != id { throw APIError.notFound("account", String(asked)) }
                query.accountID = id
            case .edge:
                throw APIError.forbidden("edge credentials only reach /v1/edge")
            }
            return try JSONResponse.make(ItemList(items: try await store.audit(query)))
        }
    }
}
