import Foundation
import Hummingbird
import MoatModel

/// `/v1/accounts/{account}/apps`: Spectrum apps, TCP/UDP ports on the edges proxied to origins.
struct AppsController {
    let store: any Store
    let board: AppServiceBoard

    var resource: AccountResource<SpectrumApp> {
        AccountResource(
            path: "apps", parameter: "app",
            create: { account, body, actor in try await store.createApp(accountID: account, try SpectrumAppSpec(json: body), actor: actor.actor) },
            list: { account in try await store.apps(accountID: account) },
            show: { account, id in try await store.app(accountID: account, id: id) },
            update: { account, id, body, actor in
                try await store.updateApp(accountID: account, id: id, actor: actor.actor) { spec in try spec.apply(patch: body) }
            },
            delete: { account, id, actor in try await store.deleteApp(accountID: account, id: id, actor: actor.actor) })
    }

    func register(on api: APIRouter) {
        resource.register(on: api)
        // Whether the edges of the app's locations serve it, and why not where they do not.
        api.on(.get, "/v1/accounts/:account/apps/:app/status") { _, context in
            let account = try context.parameters.require("account")
            _ = try context.requireAccess(to: account, write: false)
            let app = try await store.app(accountID: account, id: try context.parameters.require("app"))
            return try JSONResponse.make(await board.status(of: app))
        }
        // The event log: one record per finished connection or UDP session, newest first.
        api.on(.get, "/v1/accounts/:account/apps/:app/events") { request, context in
            let account = try context.parameters.require("account")
            _ = try context.requireAccess(to: account, write: false)
            let query = request.uri.queryParameters
            var limit = 100
            if let text = query["limit"] {
                guard let value = Int(text), (1...1000).contains(value) else { throw APIError.invalid("limit is 1-1000", field: "limit") }
                limit = value
            }
            var before: Date?
            if let text = query["before"] {
                guard let date = RFC3339.date(String(text)) else { throw APIError.invalid("'\(text)' is not an RFC 3339 time", field: "before") }
                before = date
            }
            let events = try await store.proxyEvents(accountID: account, appID: try context.parameters.require("app"), limit: limit, before: before)
            return try JSONResponse.make(ItemList(items: events))
        }
    }
}
