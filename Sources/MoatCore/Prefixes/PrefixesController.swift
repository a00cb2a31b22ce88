import MoatModel

/// `/v1/accounts/{account}/prefixes`: BYOIP onboarding. Accounts propose and advertise; only the
/// operator changes `status`.
struct PrefixesController {
    let store: any Store

    var resource: AccountResource<Prefix> {
        AccountResource(
            path: "prefixes", parameter: "prefix",
            create: { account, body, actor in
                let spec = try PrefixSpec(json: body)
                return try await store.createPrefix(accountID: account, spec, originCheck: try await originCheck(), actor: actor.actor)
            },
            list: { account in try await store.prefixes(accountID: account) },
            show: { account, id in try await store.prefix(accountID: account, id: id) },
            update: { account, id, body, actor in
                let patch = try PrefixPatch(json: body)
                if patch.status != nil && !actor.isOperator {
                    throw APIError(.forbidden, code: "forbidden", "only the operator approves or rejects prefixes", field: "status")
                }
                return try await store.updatePrefix(accountID: account, id: id, patch: patch, originCheck: try await originCheck(), actor: actor.actor)
            },
            delete: { account, id, actor in try await store.deletePrefix(accountID: account, id: id, actor: actor.actor) })
    }

    func register(on api: APIRouter) { resource.register(on: api) }

    /// How prefixes are checked against the operator's ROA and IRR data.
    func originCheck() async throws -> OriginCheck {
        OriginCheck(defaultOrigins: try await defaultOrigins())
    }

    /// The ASes that originate a prefix without `origin_asn`: Moat's own, the local AS of every
    /// configured BGP peer (each location's edges announce from theirs, so each must be
    /// authorised). With no peer configured none is known, and ROA or IRR data that covers such a
    /// prefix refuses it and asks for `origin_asn`. This is the one place that decides it; the
    /// origin-validation routes use it too.
    func defaultOrigins() async throws -> Set<UInt32> { try await store.bgpLocalASNs() }
}
