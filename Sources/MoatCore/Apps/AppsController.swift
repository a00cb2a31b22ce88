import MoatModel

/// `/v1/accounts/{account}/apps`: Spectrum apps, TCP/UDP ports on the edges proxied to origins.
struct AppsController {
    let store: any Store

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

    func register(on api: APIRouter) { resource.register(on: api) }
}
