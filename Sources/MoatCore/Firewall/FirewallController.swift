import Hummingbird
import MoatModel

/// `/v1/accounts/{account}/firewall/rules` (ordered, checked against the rule language, listed
/// with their hits per location) and `/firewall/lists` (named IP lists used as `$name`).
struct FirewallController {
    let store: any Store

    var rules: AccountResource<FirewallRuleWithHits> {
        AccountResource(
            path: "firewall/rules", parameter: "rule",
            create: { account, body, actor in
                let written = try await store.createFirewallRule(accountID: account, try FirewallRuleSpec(json: body), actor: actor.actor)
                return Written(value: FirewallRuleWithHits(rule: written.value, hits: [:]), version: written.version)
            },
            list: { account in
                let hits = try await store.ruleHits(accountID: account)
                return try await store.firewallRules(accountID: account).map { FirewallRuleWithHits(rule: $0, hits: hits[$0.id] ?? [:]) }
            },
            show: { account, id in
                let rule = try await store.firewallRule(accountID: account, id: id)
                return FirewallRuleWithHits(rule: rule, hits: try await store.ruleHits(accountID: account)[rule.id] ?? [:])
            },
            update: { account, id, body, actor in
                let written = try await store.updateFirewallRule(accountID: account, id: id, actor: actor.actor) { spec in try spec.apply(patch: body) }
                return Written(value: FirewallRuleWithHits(rule: written.value, hits: [:]), version: written.version)
            },
            delete: { account, id, actor in try await store.deleteFirewallRule(accountID: account, id: id, actor: actor.actor) })
    }

    var lists: AccountResource<FirewallList> {
        AccountResource(
            path: "firewall/lists", parameter: "list",
            create: { account, body, actor in try await store.createFirewallList(accountID: account, try FirewallListSpec(json: body), actor: actor.actor) },
            list: { account in try await store.firewallLists(accountID: account) },
            show: { account, id in try await store.firewallList(accountID: account, id: id) },
            update: { account, id, body, actor in
                try await store.updateFirewallList(accountID: account, id: id, actor: actor.actor) { spec in try spec.apply(patch: body) }
            },
            delete: { account, id, actor in try await store.deleteFirewallList(accountID: account, id: id, actor: actor.actor) },
            bodyLimit: Request.maximumListBodySize)
    }

    func register(on api: APIRouter) {
        rules.register(on: api)
        lists.register(on: api)
    }
}
