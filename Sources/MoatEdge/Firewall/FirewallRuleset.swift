import Firewall
import MoatModel

/// Turns the firewall part of an EdgeConfig into the edge's nftables table.
package enum FirewallRuleset {
    /// Why a config's firewall cannot be compiled (core checks rules, so this means a bug or a
    /// rule too complex for nftables).
    package struct CompileError: Error, CustomStringConvertible {
        package var description: String
    }

    package static func accounts(of config: EdgeConfig) throws -> [NftRuleset.Account] {
        var prefixes: [String: [CIDR]] = [:]
        for prefix in config.prefixes where prefix.status == .approved { prefixes[prefix.accountID, default: []].append(prefix.cidr) }
        var lists: [String: [String: [CIDR]]] = [:]
        for list in config.firewallLists { lists[list.accountID, default: [:]][list.name] = list.items }
        var rules: [String: [NftRuleInput]] = [:]
        for rule in config.firewallRules where rule.enabled {
            let checker = Checker(lists: Set(lists[rule.accountID]?.keys.map { $0 } ?? []))
            let checked: CheckedExpression
            do {
                checked = try checker.check(rule.expression)
            } catch {
                throw CompileError(description: "rule \(rule.id): \(error.message)")
            }
            rules[rule.accountID, default: []].append(NftRuleInput(id: rule.id, expression: checked, action: action(of: rule)))
        }
        return rules.keys.sorted().map { account in
            NftRuleset.Account(id: account, prefixes: prefixes[account] ?? [], rules: rules[account] ?? [], lists: lists[account] ?? [:])
        }
    }

    package static func render(_ config: EdgeConfig) throws -> String {
        do {
            return try NftRuleset(accounts: try accounts(of: config)).render()
        } catch let error as NftCompileError {
            throw CompileError(description: error.description)
        }
    }

    static func action(of rule: FirewallRule) -> Action {
        switch rule.action {
        case .block: return .block
        case .allow: return .allow
        case .log: return .log
        case .rateLimit:
            let limit = rule.rateLimit ?? .init(packetsPerSecond: 1, burst: 1)
            return .rateLimit(packetsPerSecond: UInt32(clamping: limit.packetsPerSecond), burst: UInt32(clamping: limit.burst))
        }
    }
}
