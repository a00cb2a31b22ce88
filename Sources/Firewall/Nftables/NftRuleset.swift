import MoatModel

/// Assembles the whole `inet moat` table of an edge from every account's compiled chain:
/// a verdict map per family on the destination prefix jumps to the account's chain, so the
/// cost of dispatch does not grow with the number of accounts.
///
/// The text replaces the table in one transaction (`nft -f`): `table` (so that `delete` finds
/// one), `delete table`, then the new definition; the kernel applies all of it or none.
package struct NftRuleset: Sendable {
    /// One account: the prefixes its traffic is addressed to, its rules in order and its lists.
    package struct Account: Sendable {
        package var id: String
        package var prefixes: [CIDR]
        package var rules: [NftRuleInput]
        package var lists: [String: [CIDR]]

        package init(id: String, prefixes: [CIDR], rules: [NftRuleInput], lists: [String: [CIDR]]) {
            self.id = id
            self.prefixes = prefixes
            self.rules = rules
            self.lists = lists
        }
    }

    package static let table = "moat"
    /// Before conntrack (-200): dropped packets never cost a conntrack entry.
    package static let hook = "type filter hook prerouting priority -300; policy accept;"

    package var accounts: [Account]

    package init(accounts: [Account]) {
        self.accounts = accounts
    }

    /// The table's definition. Accounts without rules get no dispatch entry.
    package func render() throws(NftCompileError) -> String {
        var sets: [String] = []
        var shared = NftSharedSets()
        var chains: [NftChain] = []
        var dispatch4: [String] = []
        var dispatch6: [String] = []
        for account in accounts.sorted(by: { $0.id < $1.id }) where !account.rules.isEmpty {
            let compiler = NftCompiler(account: account.id)
            let program = try compiler.compile(account.rules, shared: &shared)
            for (name, prefixes) in account.lists.sorted(by: { $0.key < $1.key }) {
                sets += NftLists.declarations(account: account.id, list: name, prefixes: prefixes)
            }
            chains += program.chains
            for prefix in NftSyntax.disjoint(account.prefixes) {
                let entry = "\(NftSyntax.element(prefix)) : jump \(compiler.chainName)"
                if prefix.isIPv4 { dispatch4.append(entry) } else { dispatch6.append(entry) }
            }
        }
        let prerouting = NftChain(name: "prerouting", rules: [Self.hook, "ip daddr vmap @dispatch_v4", "ip6 daddr vmap @dispatch_v6"])
        let maps = [Self.map("dispatch_v4", type: "ipv4_addr", dispatch4), Self.map("dispatch_v6", type: "ipv6_addr", dispatch6)]
        return Self.replace + NftProgram(sets: sets + shared.declarations + maps, chains: chains + [prerouting]).render(table: Self.table)
    }

    /// Before the new table's definition: creates the table if missing, so that `delete` always
    /// finds one, then deletes it; the definition that follows replaces it in the same transaction.
    package static let replace = "table inet \(table)\ndelete table inet \(table)\n"

    /// Only the lists: flushes and refills each named set. What an edge sends when a list
    /// changed and no rule did, so rules are not recompiled and counters keep counting.
    package func renderListUpdates(_ changed: [(account: String, list: String, prefixes: [CIDR])]) -> String {
        var lines: [String] = []
        for (account, list, prefixes) in changed {
            for family in [Packet.Family.ipv4, .ipv6] {
                let name = NftLists.setName(account: account, list: list, family: family)
                lines.append("flush set inet \(Self.table) \(name)")
                let members = NftSyntax.disjoint(prefixes.filter { $0.isIPv4 == (family == .ipv4) })
                if !members.isEmpty {
                    lines.append("add element inet \(Self.table) \(name) { " + members.map(NftSyntax.element).joined(separator: ", ") + " }")
                }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func map(_ name: String, type: String, _ entries: [String]) -> String {
        let elements = entries.isEmpty ? "" : " elements = { " + entries.joined(separator: ", ") + " };"
        return "map \(name) { type \(type) : verdict; flags interval;\(elements) }"
    }
}
