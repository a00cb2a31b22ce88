import MoatModel

/// Stage "lower": a checked expression to a bounded DNF of nft statements.
///
/// `not` is pushed down to the tests. A negated test is "the field is absent, or present and
/// the complementary condition holds": `not tcp.dstport == 22` becomes
/// `meta l4proto != 6` ∨ (later fragment) ∨ `tcp dport != 22`, which is what the evaluator
/// does, because nft's own `tcp dport != 22` (like ours) is false on non-TCP packets.
struct NftTranslation {
    var account: String
    /// The most nft rules one user rule may expand to.
    var limit: Int

    /// A negated constant set of at most this many elements becomes one `!=` per element in
    /// the same rule. Every set costs the kernel a walk over all sets of the table, when it
    /// is created and for each rule that uses it, so thousands of sets load slowly; a
    /// positive set stays a set, as one rule per element costs more (in load time and per packet).
    static let inlineNegated = 8

    struct TooLarge: Error {}

    /// The rule's nft conjunctions for packets that are not, and that are, later fragments,
    /// from one DNF. The account chain sends later fragments to a chain of their own, because
    /// nft's transport loads do not check for them (they read a later fragment's payload as
    /// the header, where our fields are absent): under "not a later fragment" transport loads
    /// are safe, and under "a later fragment" conjunctions that need them are dropped.
    func rules(_ expression: CheckedExpression) throws(TooLarge) -> (notLaterFragment: NftDNF, laterFragment: NftDNF) {
        let dnf = try dnf(expression)
        return (try within(dnf, laterFragment: false), try within(dnf, laterFragment: true))
    }

    /// `dnf` where the packet is (or is not) a later fragment. The context goes in as a
    /// statement that only asserts it (no text): contradicting conjunctions go, statements it
    /// implies go, then the context itself.
    private func within(_ dnf: NftDNF, laterFragment: Bool) throws(TooLarge) -> NftDNF {
        let context = NftAtom("", NftFacts(laterFragment: laterFragment), factOnly: true)
        return try bounded(normalize(dnf.map { $0 + [context] }).map { $0.filter { !$0.text.isEmpty } })
    }

    func dnf(_ expression: CheckedExpression, negated: Bool = false) throws(TooLarge) -> NftDNF {
        switch (expression, negated) {
        case (.test(let test), false):
            return normalize(positive(test))
        case (.test(let test), true):
            return normalize(absent(test) + positive(test.complement))
        case (.not(let operand), _):
            return try dnf(operand, negated: !negated)
        case (.and(let lhs, let rhs), false), (.or(let lhs, let rhs), true):
            return try product(dnf(lhs, negated: negated), dnf(rhs, negated: negated))
        case (.or(let lhs, let rhs), false), (.and(let lhs, let rhs), true):
            return try bounded(normalize(dnf(lhs, negated: negated) + dnf(rhs, negated: negated)))
        }
    }

    private func product(_ lhs: NftDNF, _ rhs: NftDNF) throws(TooLarge) -> NftDNF {
        guard lhs.count * rhs.count <= limit * 4 else { throw TooLarge() }
        return try bounded(normalize(lhs.flatMap { left in rhs.map { left + $0 } }))
    }

    private func bounded(_ dnf: NftDNF) throws(TooLarge) -> NftDNF {
        guard dnf.count <= limit else { throw TooLarge() }
        return dnf
    }

    /// Drops contradictory conjunctions, duplicate and implied statements, and conjunctions
    /// that contain another one (absorption).
    func normalize(_ dnf: NftDNF) -> NftDNF {
        var result: NftDNF = []
        for conjunction in dnf {
            guard let simplified = simplify(conjunction), !result.contains(simplified) else { continue }
            result.append(simplified)
        }
        return result.filter { candidate in
            !result.contains { other in other != candidate && other.allSatisfy(candidate.contains) }
        }
    }

    private func simplify(_ conjunction: [NftAtom]) -> [NftAtom]? {
        var atoms: [NftAtom] = []
        for atom in conjunction where !atoms.contains(atom) { atoms.append(atom) }
        guard facts(of: atoms) != nil else { return nil }
        var index = 0
        while index < atoms.count {
            var rest = atoms
            rest.remove(at: index)
            if atoms[index].factOnly, let others = facts(of: rest), others.implies(atoms[index].facts) {
                atoms = rest
            } else {
                index += 1
            }
        }
        return atoms
    }

    func facts(of atoms: [NftAtom]) -> NftFacts? {
        var facts = NftFacts.none
        for atom in atoms {
            guard let merged = facts.merged(with: atom.facts) else { return nil }
            facts = merged
        }
        return facts
    }

    /// The field of `test` is absent: the complement of its requirement.
    private func absent(_ test: CheckedTest) -> NftDNF {
        switch test.row.requirement {
        case .ip: return []
        case .addressFamily: return [[.notFamily(test.family ?? .ipv4)]]
        case .transport(let proto, let family): return NftAtom.transportAbsent(proto, family: family)
        }
    }

    /// The field is present and the condition holds.
    private func positive(_ test: CheckedTest) -> NftDNF {
        switch (test.row.nft, test.condition) {
        case (.flag(let set, let clear), .flag(let value)):
            return value ? set : clear
        case (.address(let v4, let v6), _):
            let family = test.family ?? .ipv4
            let load = family == .ipv4 ? v4 : v6
            let facts = NftFacts(family: family)
            switch test.condition {
            case .addressIn(let prefixes, let negated):
                let set = NftSetLiteral(key: load, elements: NftSyntax.elements(prefixes), interval: true)
                // A prefix is already compared under its mask; a single address gets all ones.
                let allOnes = family == .ipv4 ? "255.255.255.255" : "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
                return setMatch(load, set: set, negated: negated, facts: facts, fullMask: allOnes)
            case .list(let name, let negated):
                let set = NftLists.setName(account: account, list: name, family: family)
                return [[NftAtom("\(load) \(negated ? "!= " : "")@\(set)", facts)]]
            default:
                return []
            }
        case (.number(let loads), _):
            return loads.flatMap { number(test, $0) }
        default:
            return []
        }
    }

    /// `expression` in `set` (or not): one statement with the set, or for a small negated set
    /// one `!=` per element, all in the same conjunction. Protocol sets stay sets: they carry
    /// the facts that prune.
    private func setMatch(_ expression: String, set: NftSetLiteral, negated: Bool, bitmask: Bool = false,
                          facts: NftFacts, factOnly: Bool = false, fullMask: String? = nil) -> NftDNF {
        guard set.elements.count == 1 || (negated && !factOnly && set.elements.count <= Self.inlineNegated) else {
            return [[NftAtom("\(expression) \(negated ? "!= " : "")", set: set, facts, factOnly: factOnly)]]
        }
        // A bare value on a bitmask type means "any of these bits": equality is spelled out.
        let head = "\(expression) \(negated ? "!= " : bitmask ? "== " : "")"
        return [set.elements.map { element in
            var atom = NftAtom(head + element, facts, factOnly: factOnly)
            if negated, let fullMask, !element.contains("/"), !element.contains("-") {
                atom.unfused = "\(expression) & \(fullMask) != \(element)"
            }
            return atom
        }]
    }

    /// One load's conjunctions: none when it cannot match; a bare family statement when it always does.
    private func number(_ test: CheckedTest, _ load: NftLoad) -> NftDNF {
        let expression = test.mask.map { "\(load.expression) & \(NftSyntax.number($0, hex: true))" } ?? load.expression
        let format = { (value: UInt64) in NftSyntax.number(value, hex: load.hex || test.mask != nil) }
        let always = NftAtom("meta nfproto \(load.facts.family?.nftName ?? "ipv4")", load.facts, factOnly: true)
        switch test.condition {
        case .compare(let op, let value):
            guard value >= load.bias else {
                return [.notEqual, .greater, .greaterEqual].contains(op) ? [[always]] : []
            }
            if op == .greaterEqual && value == load.bias && load.bias > 0 { return [[always]] }
            if op == .less && value == load.bias && load.bias > 0 { return [] }
            let shifted = value - load.bias
            var facts = load.facts
            // Only unmasked `==`/`!=` say which protocol it is (`ip.proto & 1 != 1` does not).
            let protocolFact = load.isProtocol && test.mask == nil && (op == .equal || op == .notEqual)
            if protocolFact && op == .equal { facts.proto = UInt8(shifted) }
            if protocolFact && op == .notEqual { facts.notProtos = [UInt8(shifted)] }
            let symbol = op == .equal && test.mask == nil && !load.bitmask ? "" : op.rawValue + " "
            var atom = NftAtom("\(expression) \(symbol)\(format(shifted))", facts, factOnly: protocolFact)
            if op == .notEqual, test.mask == nil, let fullMask = fullMask(test, load) {
                atom.unfused = "\(expression) & \(fullMask) != \(format(shifted))"
            }
            return [[atom]]
        case .numberIn(let ranges, let negated):
            let shifted = ranges.compactMap { range -> ClosedRange<UInt64>? in
                guard range.upperBound >= load.bias else { return nil }
                return (max(range.lowerBound, load.bias) - load.bias)...(range.upperBound - load.bias)
            }
            guard !shifted.isEmpty else { return negated ? [[always]] : [] }
            var facts = load.facts
            var factOnly = false
            if load.isProtocol && test.mask == nil {
                // `meta l4proto { 6, 17 }` says the protocol is one of these: pruned against
                // `tcp dport` (nft refuses the pair, "conflicting protocols": udp vs. tcp).
                let protos = Set(NftSyntax.merged(shifted).flatMap { $0.map { UInt8($0) } })
                if negated { facts.notProtos = protos } else { facts.protos = protos }
                factOnly = true
            }
            if load.bitmask {
                // Single values only (no ranges in a `tcp flags` set: nft 1.0.6 crashes
                // listing it), and an explicit `==`: a bare value means "any of these bits".
                let values = NftSyntax.merged(shifted).flatMap { Array($0) }
                let set = NftSetLiteral(key: load.expression, elements: NftSyntax.elements(values: values, format: format),
                                        interval: false)
                return setMatch(expression, set: set, negated: negated, bitmask: true, facts: facts, factOnly: factOnly)
            }
            let elements = NftSyntax.elements(shifted, format: format)
            let set = NftSetLiteral(key: load.expression, elements: elements, interval: elements.contains { $0.contains("-") })
            return setMatch(expression, set: set, negated: negated, facts: facts, factOnly: factOnly,
                            fullMask: test.mask == nil ? fullMask(test, load) : nil)
        default:
            return []
        }
    }

    /// All ones over a header field's width (`0xffff` for a port), for ``NftAtom/unfused``;
    /// nil for `meta` keys, which nft never fuses.
    private func fullMask(_ test: CheckedTest, _ load: NftLoad) -> String? {
        guard !load.expression.hasPrefix("meta "), case .number(let bits) = test.row.type else { return nil }
        return NftSyntax.number(bits >= 64 ? .max : (1 << UInt64(bits)) - 1, hex: true)
    }
}
