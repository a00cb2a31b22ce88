import Firewall
import MoatModel

/// The corpus turned into nft text: the stage the benchmark times as "check + compile".
struct CompiledCorpus {
    /// Moat's layout: `NftRuleset.render()`, dispatch by verdict map.
    var moat: String
    /// For contrast: the same chains, but every account rule in one prerouting chain,
    /// guarded by its account's `ip daddr`, so a packet is tested against all of them.
    var linear: String
    /// Rules after lowering (nft rules in the account chains, helper chains not counted).
    var nftRules: Int

    /// Parses and checks every rule, then renders the Moat table (timed by the caller).
    static func moatAccounts(_ corpus: RuleCorpus) throws -> [NftRuleset.Account] {
        try corpus.accounts.map { account in
            let checker = Checker(lists: Set(account.lists.keys))
            let rules = try account.rules.enumerated().map { index, rule in
                NftRuleInput(id: "\(account.id)-r\(index)", expression: try checker.check(rule.text), action: rule.action)
            }
            return NftRuleset.Account(id: account.id, prefixes: [account.prefix], rules: rules, lists: account.lists)
        }
    }

    /// Whether an nft rule line only applies to IPv6 (it loads an IPv6 header or set).
    static func isIPv6Only(_ rule: String) -> Bool {
        ["ip6 ", "exthdr ", "frag ", "icmpv6 ", "_v6 ", "nfproto ipv6"].contains { rule.contains($0) }
    }

    /// The linear layout, from the same compiler output as the Moat layout. Not timed.
    static func linear(_ accounts: [NftRuleset.Account]) throws -> (text: String, nftRules: Int) {
        var sets: [String] = []
        var helpers: [NftChain] = []
        var rules: [String] = []
        var shared = NftSharedSets()
        for account in accounts.sorted(by: { $0.id < $1.id }) {
            let program = try NftCompiler(account: account.id).compile(account.rules, shared: &shared)
            for (name, prefixes) in account.lists.sorted(by: { $0.key < $1.key }) {
                sets += NftLists.declarations(account: account.id, list: name, prefixes: prefixes)
            }
            helpers += program.chains.dropLast()
            for prefix in account.prefixes {
                // Behind `ip daddr`, the IPv6 lowering of a rule can never match (and nft
                // rejects it), as behind the vmap's v4 side; and conversely.
                let guarded = (program.chains.last?.rules ?? []).filter { Self.isIPv6Only($0) != prefix.isIPv4 }
                rules += guarded.map { "\(prefix.isIPv4 ? "ip" : "ip6") daddr \(prefix) \($0)" }
            }
        }
        let prerouting = NftChain(name: "prerouting", rules: [NftRuleset.hook] + rules)
        let text = NftRuleset.replace + NftProgram(sets: sets + shared.declarations, chains: helpers + [prerouting]).render(table: NftRuleset.table)
        return (text, rules.count)
    }
}
