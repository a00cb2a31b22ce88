/// One rule of an account's ordered ruleset, as the compiler takes it.
package struct NftRuleInput: Hashable, Sendable {
    /// Stable rule id, written into the nft comment so counters can be read back per rule.
    package var id: String
    package var expression: CheckedExpression
    package var action: Action

    package init(id: String, expression: CheckedExpression, action: Action) {
        self.id = id
        self.expression = expression
        self.action = action
    }
}

/// A rule the compiler refuses.
package struct NftCompileError: Error, Hashable, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        /// The disjunctive normal form would need more nft rules than allowed.
        package static let tooComplex = Code("too_complex")
        package var description: String { rawValue }
    }

    package var code: Code
    package var ruleID: String
    package var message: String
    package var description: String { "\(code) in rule \(ruleID): \(message)" }
}

/// An nft chain: name and rule lines.
package struct NftChain: Hashable, Sendable {
    package var name: String
    package var rules: [String]

    package init(name: String, rules: [String]) {
        self.name = name
        self.rules = rules
    }
}

/// The compiled firewall of one account: declarations for inside a `table inet` block.
package struct NftProgram: Hashable, Sendable {
    /// Declarations of the shared sets the chains use (`NftSharedSets`), when compiled on its
    /// own; empty when compiled into a table's shared sets. List sets are declared by `NftLists`.
    package var sets: [String]
    /// Helper chains first (nft needs a chain declared before a jump to it), the account chain last.
    package var chains: [NftChain]

    package init(sets: [String], chains: [NftChain]) {
        self.sets = sets
        self.chains = chains
    }

    /// The declarations as `nft -f` text, in a `table inet <table> { ... }` block.
    package func render(table: String, extraSets: [String] = []) -> String {
        var lines = ["table inet \(table) {"]
        lines += (extraSets + sets).map { "\t" + $0 }
        for chain in chains {
            lines.append("\tchain \(chain.name) {")
            lines += chain.rules.map { "\t\t" + $0 }
            lines.append("\t}")
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }
}

/// Stage "emit": an account's ordered rules to nft chains for an `inet` table.
///
/// - `block` → `counter drop`; `allow` → `counter accept`. Accept, not `return`: the account
///   chain is jumped to from the dispatch chain, and `return` would resume the dispatch chain
///   (and whatever follows the vmap), while allow must end the decision. Falling off the end
///   of the account chain returns to the dispatcher: the default allow.
/// - `log` → `counter` and continue.
/// - `rate_limit` → `update @rl_v4 { ip saddr . TAG limit rate over N/second burst B packets }
///   counter drop` (and `rl_v6`): one dynamic set per family for the whole table, keyed by
///   source and the rule's tag, so every rule has its own buckets per source.
/// - Constant sets become named sets of the table, shared by content (`NftSetLiteral`).
/// - A rule is lowered to a DNF (`NftTranslation`), one nft rule per conjunction. For block
///   and allow those sit inline (the first match ends evaluation, so a packet is counted
///   once). For log and rate_limit, which continue, several conjunctions would count (or
///   spend tokens) twice, so the rule becomes `jump <chain>.r<i>`, where each conjunction
///   does `goto <chain>.r<i>.act` and the action chain holds the action once.
/// - Later fragments go first to `<chain>.frag`, compiled from the same rules for packets
///   whose transport header is elsewhere (see `NftTranslation.rules`).
/// - Counters carry `comment "rule:<id>"`; a rule's count is the sum over its nft rules.
package struct NftCompiler: Sendable {
    /// The most nft rules one user rule may expand to.
    package static let maximumExpansion = 256

    package var account: String

    package init(account: String) {
        self.account = account
    }

    /// The account chain's name, the target of the dispatch vmap.
    package var chainName: String { "acct_\(NftSyntax.identifier(account))" }

    /// The account's chains on their own: `sets` declares the shared sets they use.
    package func compile(_ rules: [NftRuleInput]) throws(NftCompileError) -> NftProgram {
        var shared = NftSharedSets()
        var program = try compile(rules, shared: &shared)
        program.sets = shared.declarations
        return program
    }

    /// The chain later fragments of the account's traffic go to (see `NftTranslation.rules`).
    /// Helper chains add `.` parts, which no account chain name has (`NftSyntax.identifier`).
    package var fragmentChainName: String { chainName + ".frag" }

    /// The account's chains, with their constant and rate-limit sets added to `shared`.
    package func compile(_ rules: [NftRuleInput], shared: inout NftSharedSets) throws(NftCompileError) -> NftProgram {
        let translation = NftTranslation(account: account, limit: Self.maximumExpansion)
        var program = NftProgram(sets: [], chains: [])
        var main: [String] = []
        var fragments: [String] = []
        for (index, rule) in rules.enumerated() {
            let comment = "comment \"rule:\(NftSyntax.identifier(rule.id))\""
            // Once per rule: a rate limit's tag (its buckets) is the same in both chains.
            let actions = statements(for: rule.action, shared: &shared)
            let lowered: (notLaterFragment: NftDNF, laterFragment: NftDNF)
            do {
                lowered = try translation.rules(rule.expression)
            } catch {
                throw NftCompileError(code: .tooComplex, ruleID: rule.id,
                                      message: "the rule expands to more than \(Self.maximumExpansion) nftables rules; simplify its 'or' and 'not'")
            }
            for (laterFragment, dnf) in [(false, lowered.notLaterFragment), (true, lowered.laterFragment)] {
                let lines = emit(dnf, actions: actions, comment: comment, translation: translation,
                                 matcher: "\(laterFragment ? fragmentChainName : chainName).r\(index)",
                                 program: &program, shared: &shared)
                if laterFragment { fragments += lines } else { main += lines }
            }
        }
        // Later fragments leave the account chain first; with no rule for them they go back
        // to the dispatcher (the default allow).
        let toFragments = fragments.isEmpty ? "return" : "goto \(fragmentChainName)"
        if !fragments.isEmpty { program.chains.append(NftChain(name: fragmentChainName, rules: fragments)) }
        program.chains.append(NftChain(name: chainName, rules: [
            "ip frag-off & 0x1fff != 0 \(toFragments)",
            "frag frag-off != 0 \(toFragments)",
        ] + main))
        return program
    }

    /// One rule's lines for its chain. Block and allow sit inline, one line per conjunction
    /// (the first match ends evaluation, so a packet is counted once); log and rate_limit with
    /// several conjunctions go through `matcher`, whose lines `goto` a chain holding the action once.
    private func emit(_ dnf: NftDNF, actions: [Statement], comment: String, translation: NftTranslation,
                      matcher: String, program: inout NftProgram, shared: inout NftSharedSets) -> [String] {
        if dnf.count == 1 || (dnf.count > 1 && actions.allSatisfy(\.terminal)) {
            var lines: [String] = []
            for conjunction in dnf {
                for action in actions where translation.facts(of: conjunction + [action.guard]) != nil {
                    lines.append(line(NftAtom.render(conjunction, sets: &shared) + [action.text, comment]))
                }
            }
            return lines
        }
        guard dnf.count > 1 else { return [] }  // An empty DNF never matches: nothing, and a zero counter.
        let actor = matcher + ".act"
        program.chains.append(NftChain(name: actor, rules: actions.map { line([$0.text, comment]) }))
        program.chains.append(NftChain(name: matcher, rules: dnf.map { conjunction in
            line(NftAtom.render(conjunction, sets: &shared) + ["goto \(actor)"])
        }))
        return ["jump \(matcher)"]
    }

    private struct Statement {
        var text: String
        /// The family the statement needs (rate-limit keys), for pruning.
        var `guard`: NftAtom
        /// Ends evaluation (block, allow).
        var terminal = false
    }

    private func statements(for action: Action, shared: inout NftSharedSets) -> [Statement] {
        let any = NftAtom("", .none)
        switch action {
        case .block: return [Statement(text: "counter drop", guard: any, terminal: true)]
        case .allow: return [Statement(text: "counter accept", guard: any, terminal: true)]
        case .log: return [Statement(text: "counter", guard: any)]
        case .rateLimit(let rate, let burst):
            let tag = shared.rateLimitTag()
            return [(Packet.Family.ipv4, "ip"), (.ipv6, "ip6")].map { family, prefix in
                let set = NftSharedSets.rateLimitSet(family)
                return Statement(
                    text: "update @\(set) { \(prefix) saddr . \(tag) limit rate over \(rate)/second burst \(burst) packets } counter drop",
                    guard: NftAtom("", NftFacts(family: family)))
            }
        }
    }

    private func line(_ parts: [String]) -> String {
        parts.filter { !$0.isEmpty }.joined(separator: " ")
    }
}
