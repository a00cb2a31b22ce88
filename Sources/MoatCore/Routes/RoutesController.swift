import MoatModel

/// `/v1/accounts/{account}/routes`: static routes from the account's prefixes to its tunnels.
struct RoutesController {
    let store: any Store

    var resource: AccountResource<Route> {
        AccountResource(
            path: "routes", parameter: "route",
            create: { account, body, actor in try await store.createRoute(accountID: account, try RouteSpec(json: body), actor: actor.actor) },
            list: { account in try await store.routes(accountID: account) },
            show: { account, id in try await store.route(accountID: account, id: id) },
            update: { account, id, body, actor in
                try await store.updateRoute(accountID: account, id: id, actor: actor.actor) { spec in try spec.apply(patch: body) }
            },
            delete: { account, id, actor in try await store.deleteRoute(accountID: account, id: id, actor: actor.actor) })
    }

    func register(on api: APIRouter) { resource.register(on: api) }
}
