import MoatModel

/// `/v1/accounts/{account}/prefixes`: BYOIP onboarding. Accounts propose and advertise; only the
/// operator changes `status`.
struct PrefixesController {
    let store: any Store

    var resource: AccountResource<Prefix> {
        AccountResource(
            path: "prefixes", parameter: "prefix",
            create: { account, body, actor in try await store.createPrefix(accountID: account, try PrefixSpec(json: body), actor: actor.actor) },
            list: { account in try await store.prefixes(accountID: account) },
            show: { account, id in try await store.prefix(accountID: account, id: id) },
            update: { account, id, body, actor in
                let patch = try PrefixPatch(json: body)
                if patch.status != nil && !actor.isOperator {
                    throw APIError(.forbidden, code: "forbidden", "only the operator approves or rejects prefixes", field: "status")
                }
                return try await store.updatePrefix(accountID: account, id: id, patch: patch, actor: actor.actor)
            },
            delete: { account, id, actor in try await store.deletePrefix(accountID: account, id: id, actor: actor.actor) })
    }

    func register(on api: APIRouter) { resource.register(on: api) }
}
