import Firewall
import Foundation
import LinuxNet
import MoatModel

/// Programs the firewall: the whole `inet moat` table, checked with `nft -c` first and loaded
/// in one transaction. When only list entries changed, only those sets are refilled, so rules
/// are not recompiled and their counters keep counting.
package actor FirewallApplier: ConfigApplier, RuleCounterSource {
    package nonisolated let name = "firewall"
    let nft: Nft
    private var loaded: (ruleset: String, lists: [ListKey: [CIDR]])?
    private var prepared: [Int: Plan] = [:]

    struct ListKey: Hashable {
        var account: String
        var list: String
    }

    enum Plan {
        /// The table, and its rules with the lists emptied (what the next change compares with).
        case full(String, skeleton: String)
        case lists(String, [ListKey: [CIDR]])
        case nothing
    }

    package init(nft: Nft = Nft()) {
        self.nft = nft
    }

    package func prepare(_ config: EdgeConfig) async throws {
        let plan = try plan(for: config)
        switch plan {
        case .full(let text, _): try nft.check(text)
        case .lists(let text, _): try nft.check(text)
        case .nothing: break
        }
        prepared = [config.version: plan]
    }

    package func commit(_ config: EdgeConfig) async throws {
        let plan = try prepared.removeValue(forKey: config.version) ?? plan(for: config)
        switch plan {
        case .full(let text, let skeleton):
            try nft.load(text)
            loaded = (skeleton, Self.lists(of: config))
        case .lists(let text, let lists):
            try nft.load(text)
            loaded?.lists = lists
        case .nothing:
            break
        }
    }

    /// The full table when rules changed; the changed sets when only lists did.
    func plan(for config: EdgeConfig) throws -> Plan {
        let lists = Self.lists(of: config)
        // The rules' text with the lists emptied: equal means only list entries differ.
        var skeleton = config
        skeleton.firewallLists = config.firewallLists.map { var list = $0; list.items = []; return list }
        let ruleset = try FirewallRuleset.render(skeleton)
        guard let loaded, loaded.ruleset == ruleset else {
            return .full(try FirewallRuleset.render(config), skeleton: ruleset)
        }
        let changed = lists.filter { loaded.lists[$0.key] != $0.value }
        guard !changed.isEmpty else { return .nothing }
        let updates = NftRuleset(accounts: []).renderListUpdates(changed.map { ($0.key.account, $0.key.list, $0.value) })
        return .lists(updates, lists)
    }

    static func lists(of config: EdgeConfig) -> [ListKey: [CIDR]] {
        var lists: [ListKey: [CIDR]] = [:]
        for list in config.firewallLists { lists[ListKey(account: list.accountID, list: list.name)] = list.items }
        return lists
    }

    /// Per-rule packet counters, summed over the rule's nft rules (tagged `comment "rule:ID"`).
    package func ruleHits() throws -> [String: UInt64] {
        guard let data = try nft.listTableJSON(NftRuleset.table) else { return [:] }
        return NftCounters.perRule(fromJSON: data)
    }
}
