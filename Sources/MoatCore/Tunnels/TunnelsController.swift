import MoatModel

/// `/v1/accounts/{account}/tunnels`: GRE tunnels to the account's routers.
struct TunnelsController {
    let store: any Store

    var resource: AccountResource<Tunnel> {
        AccountResource(
            path: "tunnels", parameter: "tunnel",
            create: { account, body, actor in try await store.createTunnel(accountID: account, try TunnelSpec(json: body), actor: actor.actor) },
            list: { account in try await store.tunnels(accountID: account) },
            show: { account, id in try await store.tunnel(accountID: account, id: id) },
            update: { account, id, body, actor in
                try await store.updateTunnel(accountID: account, id: id, actor: actor.actor) { spec in try spec.apply(patch: body) }
            },
            delete: { account, id, actor in try await store.deleteTunnel(accountID: account, id: id, actor: actor.actor) })
    }

    func register(on api: APIRouter) { resource.register(on: api) }
}
