import Foundation
import HTTPTypes
import Hummingbird
import MoatModel

/// `/v1/accounts/{account}/firewall/rules` (ordered, checked against the rule language) and
/// `/firewall/lists` (named IP lists used as `$name`).
struct FirewallController {
    let store: any Store

    func register(on api: APIRouter) {
        let rules = "/v1/accounts/:account/firewall/rules"
        api.on(.post, rules) { request, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let spec = try FirewallRuleSpec(json: try await request.jsonBody())
            let written = try await store.createFirewallRule(accountID: accountID, spec, actor: principal.actor)
            return try JSONResponse.make(status: .created, written.value, version: written.version)
        }
        api.on(.get, rules) { _, context in
            let accountID = try context.parameters.require("account")
            _ = try context.requireAccess(to: accountID, write: false)
            let hits = try await store.ruleHits(accountID: accountID)
            let items = try await store.firewallRules(accountID: accountID).map { FirewallRuleWithHits(rule: $0, hits: hits[$0.id] ?? [:]) }
            return try JSONResponse.make(ItemList(items: items))
        }
        api.on(.get, rules + "/:rule") { _, context in
            let accountID = try context.parameters.require("account")
            _ = try context.requireAccess(to: accountID, write: false)
            let rule = try await store.firewallRule(accountID: accountID, id: try context.parameters.require("rule"))
            return try JSONResponse.make(FirewallRuleWithHits(rule: rule, hits: try await store.ruleHits(accountID: accountID)[rule.id] ?? [:]))
        }
        api.on(.patch, rules + "/:rule") { request, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let body = try await request.jsonBody()
            let written = try await store.updateFirewallRule(accountID: accountID, id: try context.parameters.require("rule"), actor: principal.actor) { spec in
                try spec.apply(patch: body)
            }
            return try JSONResponse.make(written.value, version: written.version)
        }
        api.on(.delete, rules + "/:rule") { _, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let written = try await store.deleteFirewallRule(accountID: accountID, id: try context.parameters.require("rule"), actor: principal.actor)
            return Response(status: .noContent, headers: [.moatConfigVersion: String(written.version)])
        }

        let lists = "/v1/accounts/:account/firewall/lists"
        api.on(.post, lists) { request, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let spec = try FirewallListSpec(json: try await request.jsonBody(limit: Request.maximumListBodySize))
            let written = try await store.createFirewallList(accountID: accountID, spec, actor: principal.actor)
            return try JSONResponse.make(status: .created, written.value, version: written.version)
        }
        api.on(.get, lists) { _, context in
            let accountID = try context.parameters.require("account")
            _ = try context.requireAccess(to: accountID, write: false)
            return try JSONResponse.make(ItemList(items: try await store.firewallLists(accountID: accountID)))
        }
        api.on(.get, lists + "/:list") { _, context in
            let accountID = try context.parameters.require("account")
            _ = try context.requireAccess(to: accountID, write: false)
            return try JSONResponse.make(try await store.firewallList(accountID: accountID, id: try context.parameters.require("list")))
        }
        api.on(.patch, lists + "/:list") { request, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let body = try await request.jsonBody(limit: Request.maximumListBodySize)
            let written = try await store.updateFirewallList(accountID: accountID, id: try context.parameters.require("list"), actor: principal.actor) { spec in
                try spec.apply(patch: body)
            }
            return try JSONResponse.make(written.value, version: written.version)
        }
        api.on(.delete, lists + "/:list") { _, context in
            let accountID = try context.parameters.require("account")
            let principal = try context.requireAccess(to: accountID, write: true)
            let written = try await store.deleteFirewallList(accountID: accountID, id: try context.parameters.require("list"), actor: principal.actor)
            return Response(status: .noContent, headers: [.moatConfigVersion: String(written.version)])
        }
    }
}
