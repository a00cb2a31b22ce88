import Firewall
import MoatModel
import NetLab

/// The small pools both the rules and the packets draw from, all inside the benchmarking
/// ranges 198.18.0.0/15 and 2001:2::/48 (plus the catch-all prefixes).
enum FirewallKernelPools {
    static let v4Hosts = ["198.18.0.1", "198.18.0.2", "198.18.0.5", "198.18.1.1", "198.18.1.200", "198.19.7.7"]
        .map { IPAddress($0)! }
    static let v6Hosts = ["2001:2::1", "2001:2::2", "2001:2::5", "2001:2:0:1::1", "2001:2:0:1::c8", "2001:2:0:ff::7"]
        .map { IPAddress($0)! }
    static let v4Prefixes = ["198.18.0.0/24", "198.18.0.0/30", "198.18.0.4/30", "198.18.1.0/24", "198.18.0.0/15",
                             "198.19.0.0/16", "0.0.0.0/0"].map { CIDR($0)! }
    static let v6Prefixes = ["2001:2::/64", "2001:2::/126", "2001:2::4/126", "2001:2:0:1::/64", "2001:2::/48",
                             "2001:2:0:ff::/64", "::/0"].map { CIDR($0)! }
    static let ports: [UInt64] = [0, 1, 22, 53, 80, 443, 1023, 1024, 8080, 65535]
    static let ttls: [UInt8] = [0, 1, 2, 63, 64, 65, 127, 128, 254, 255]
    /// Around the IPv6 bias (`ip.len` is payload + 40) and common sizes.
    static let lengths: [UInt64] = [0, 20, 28, 39, 40, 41, 48, 60, 64, 100, 576, 1280, 1500, 65535]
    static let protocols: [UInt64] = [1, 6, 17, 58, 47, 50, 132, 0, 255]
    static let protocolNames = ["tcp", "udp", "icmp", "icmpv6", "gre", "esp", "sctp"]
    static let icmpTypes: [UInt64] = [0, 1, 3, 5, 8, 11, 128, 129, 133, 135]
    static let listNames = ["office", "bad_hosts"]

    /// A host outside the pools but inside the ranges.
    static func randomHost(_ random: inout SeededRandom, ipv4: Bool) -> IPAddress {
        ipv4 ? .v4(0xC612_0000 | UInt32(random.below(1 << 17)))
             : .v6(UInt128(0x2001_0002_0000) << 80 | UInt128(random.below(1 << 20)))
    }
}

/// One random ruleset: the rules as a user writes them, the account's lists, and what the
/// compiler and the evaluator take.
struct FirewallKernelRuleset {
    struct Rule {
        var id: String
        var text: String
        var expression: CheckedExpression
        var action: Action
    }

    var rules: [Rule]
    var lists: [String: [CIDR]]

    var description: String {
        var lines = rules.enumerated().map { index, rule in "  [\(index)] \(rule.id) \(Self.name(rule.action)): \(rule.text)" }
        for (name, prefixes) in lists.sorted(by: { $0.key < $1.key }) {
            lines.append("  list $\(name) = {\(prefixes.map(\.description).joined(separator: " "))}")
        }
        return lines.joined(separator: "\n")
    }

    static func name(_ action: Action) -> String {
        switch action {
        case .block: return "block"
        case .allow: return "allow"
        case .log: return "log"
        case .rateLimit(let rate, let burst): return "rate_limit \(rate)/s burst \(burst)"
        }
    }

    var inputs: [NftRuleInput] {
        rules.map { NftRuleInput(id: $0.id, expression: $0.expression, action: $0.action) }
    }

    var evaluator: RulesetEvaluator {
        RulesetEvaluator(rules: rules.map { RulesetEvaluator.Rule($0.expression, $0.action) }, lists: lists)
    }
}

/// Random, well-typed rule expressions over every field and operator of the scheme.
///
/// Trees are built as syntax, printed, then parsed and checked: the path a user's text takes.
enum FirewallKernelRuleGenerator {
    static let account = "fwk"

    static func ruleset(_ random: inout SeededRandom, excluding excluded: Set<FirewallKernelKnownIssue> = [])
        throws -> FirewallKernelRuleset {
        var lists: [String: [CIDR]] = [:]
        for name in FirewallKernelPools.listNames where random.chance(0.7) {
            lists[name] = (0..<random.below(5)).map { _ in prefix(&random, ipv4: random.chance(0.5)) }
        }
        let checker = Checker(lists: Set(lists.keys))
        var rules: [FirewallKernelRuleset.Rule] = []
        let count = 1 + random.below(8)
        while rules.count < count {
            let tree = expression(&random, depth: random.below(4), lists: Array(lists.keys).sorted(), excluding: excluded)
            let text = tree.description
            let checked = try checker.check(text)
            let action: Action
            switch random.below(100) {
            case 0..<35: action = .block
            case 35..<60: action = .allow
            case 60..<92: action = .log
            // Rates no test run reaches: the limit compiles and loads but never fires.
            default: action = .rateLimit(packetsPerSecond: 1_000_000, burst: 1_000_000)
            }
            let rule = FirewallKernelRuleset.Rule(id: "r\(rules.count)", text: text, expression: checked, action: action)
            // Too complex for the compiler (a DNF past its limit): draw another.
            guard let program = try? NftCompiler(account: account).compile([NftRuleInput(id: rule.id, expression: checked, action: action)])
            else { continue }
            if excluded.contains(.tcpFlagECE) && text.contains("tcp.flags.ece") { continue }
            if program.chains.contains(where: { $0.rules.contains { refusedByNft($0, excluded) } }) { continue }
            rules.append(rule)
        }
        return FirewallKernelRuleset(rules: rules, lists: lists)
    }

    /// An nft rule line that nft refuses because of an excluded known issue: `icmp …`
    /// followed by an IPv6 match, or `icmpv6 …` followed by an IPv4 one; a `meta l4proto`
    /// set followed by a transport match.
    static func refusedByNft(_ line: String, _ excluded: Set<FirewallKernelKnownIssue>) -> Bool {
        let words = line.split(separator: " ")
        if excluded.contains(.icmpOfTheOtherFamily) {
            if let icmp = words.firstIndex(of: "icmp"), words[icmp...].contains(where: { $0 == "ip6" || $0 == "exthdr" || $0 == "frag" }) {
                return true
            }
            if let icmpv6 = words.firstIndex(of: "icmpv6"), words[icmpv6...].contains("ip") { return true }
        }
        if excluded.contains(.protocolSetBeforeTransport), let proto = words.firstIndex(of: "l4proto"), proto + 1 < words.count,
           words[proto + 1] == "{" || words[proto + 1].hasPrefix("@") || words[proto + 1].allSatisfy(\.isNumber),
           words[proto...].contains(where: { ["tcp", "udp", "icmp", "icmpv6"].contains($0) }) {
            return true
        }
        return false
    }

    static func expression(_ random: inout SeededRandom, depth: Int, lists: [String],
                           excluding excluded: Set<FirewallKernelKnownIssue>) -> Expression {
        guard depth > 0 else { return .test(test(&random, lists: lists, excluding: excluded)) }
        switch random.below(6) {
        case 0, 1: return .test(test(&random, lists: lists, excluding: excluded))
        case 2: return .not(expression(&random, depth: depth - 1, lists: lists, excluding: excluded), .none)
        case 3, 4: return .and(expression(&random, depth: depth - 1, lists: lists, excluding: excluded), expression(&random, depth: depth - 1, lists: lists, excluding: excluded))
        default: return .or(expression(&random, depth: depth - 1, lists: lists, excluding: excluded), expression(&random, depth: depth - 1, lists: lists, excluding: excluded))
        }
    }

    static let booleans = ["ip.frag", "tcp.flags.fin", "tcp.flags.syn", "tcp.flags.reset", "tcp.flags.push",
                           "tcp.flags.ack", "tcp.flags.urg", "tcp.flags.ece", "tcp.flags.cwr"]
    static let numbers = ["ip.proto", "ip.len", "ip.ttl", "tcp.srcport", "tcp.dstport", "tcp.flags",
                          "udp.srcport", "udp.dstport", "icmp.type", "icmp.code", "icmpv6.type", "icmpv6.code"]

    static func test(_ random: inout SeededRandom, lists: [String], excluding excluded: Set<FirewallKernelKnownIssue>) -> FieldTest {
        switch random.below(10) {
        case 0, 1: return addressTest(&random, lists: lists)
        case 2: return booleanTest(&random)
        default: return numberTest(&random, excluding: excluded)
        }
    }

    static func addressTest(_ random: inout SeededRandom, lists: [String]) -> FieldTest {
        let field = FieldName(random.pick(["ip.src", "ip.dst"]))
        if !lists.isEmpty && random.chance(0.25) {
            return FieldTest(field: field, predicate: .member(.list(random.pick(lists), .none)))
        }
        if random.chance(0.5) {
            let ipv4 = random.chance(0.5)
            return FieldTest(field: field, predicate: .compare(random.pick([.equal, .notEqual]), addressLiteral(&random, ipv4: ipv4)))
        }
        let elements = (0...random.below(4)).map { _ in SetElement.single(addressLiteral(&random, ipv4: random.chance(0.5))) }
        return FieldTest(field: field, predicate: .member(.inline(elements, .none)))
    }

    static func addressLiteral(_ random: inout SeededRandom, ipv4: Bool) -> Literal {
        if random.chance(0.5) {
            return Literal(.address(random.pick(ipv4 ? FirewallKernelPools.v4Hosts : FirewallKernelPools.v6Hosts)))
        }
        let cidr = prefix(&random, ipv4: ipv4)
        return cidr.length == cidr.address.bitWidth ? Literal(.address(cidr.address)) : Literal(.cidr(cidr))
    }

    static func prefix(_ random: inout SeededRandom, ipv4: Bool) -> CIDR {
        if random.chance(0.3) {
            return CIDR(host: random.pick(ipv4 ? FirewallKernelPools.v4Hosts : FirewallKernelPools.v6Hosts))
        }
        // The catch-all prefix only now and then.
        let prefixes = ipv4 ? FirewallKernelPools.v4Prefixes : FirewallKernelPools.v6Prefixes
        return random.chance(0.1) ? prefixes.last! : random.pick(Array(prefixes.dropLast()))
    }

    static func booleanTest(_ random: inout SeededRandom) -> FieldTest {
        let field = FieldName(random.pick(booleans))
        switch random.below(4) {
        case 0, 1: return FieldTest(field: field, predicate: .isTrue)
        default:
            let value = random.pick([Literal(.name("true")), Literal(.name("false")), Literal(.number(0)), Literal(.number(1))])
            return FieldTest(field: field, predicate: .compare(random.pick([.equal, .notEqual]), value))
        }
    }

    static func numberTest(_ random: inout SeededRandom, excluding excluded: Set<FirewallKernelKnownIssue>) -> FieldTest {
        let name = random.pick(numbers)
        let field = FieldName(name)
        let bits = name.hasSuffix("port") || name == "ip.len" ? 16 : 8
        let maximum: UInt64 = bits == 16 ? 0xFFFF : 0xFF
        var mask: Literal?
        if name != "ip.len" && !(name == "ip.proto" && excluded.contains(.maskedProtocol)) && random.chance(0.15) {
            mask = Literal(.number(random.chance(0.5) ? random.pick(bits == 16 ? [0xFF00, 0x00FF, 0xFFFC, 0x8000, 0x0001]
                                                                               : [0x12, 0x02, 0x3F, 0xF0, 0x01, 0x80])
                                                        : random.next() & maximum))
        }
        if mask != nil && random.chance(0.3) {
            return FieldTest(field: field, mask: mask, predicate: .isTrue)
        }
        // Adjacent values merge into ranges, so the known nft crash rules out any set.
        let flagSets = !excluded.contains(.tcpFlagsRangeSet) && !excluded.contains(.tcpFlagsImplicitEquality)
        if random.chance(0.3) && (name != "tcp.flags" || flagSets) {
            let elements = (0...random.below(4)).map { _ -> SetElement in
                if random.chance(0.35) {
                    let a = value(&random, field: name, maximum: maximum)
                    let b = value(&random, field: name, maximum: maximum)
                    return .range(Literal(.number(min(a, b))), Literal(.number(max(a, b))))
                }
                return .single(literal(&random, field: name, maximum: maximum))
            }
            return FieldTest(field: field, mask: mask, predicate: .member(.inline(elements, .none)))
        }
        var operators = ComparisonOperator.allCases
        // `!=` too: under `not` it becomes `==`.
        if name == "tcp.flags" && mask == nil && excluded.contains(.tcpFlagsImplicitEquality) {
            operators.removeAll { $0 == .equal || $0 == .notEqual }
        }
        return FieldTest(field: field, mask: mask,
                         predicate: .compare(random.pick(operators), literal(&random, field: name, maximum: maximum)))
    }

    static func literal(_ random: inout SeededRandom, field: String, maximum: UInt64) -> Literal {
        if field == "ip.proto" && random.chance(0.3) {
            return Literal(.name(random.pick(FirewallKernelPools.protocolNames)))
        }
        return Literal(.number(value(&random, field: field, maximum: maximum)))
    }

    static func value(_ random: inout SeededRandom, field: String, maximum: UInt64) -> UInt64 {
        guard random.chance(0.85) else { return random.next() & maximum }
        switch field {
        case "ip.proto": return random.pick(FirewallKernelPools.protocols)
        case "ip.len": return random.pick(FirewallKernelPools.lengths)
        case "ip.ttl": return UInt64(random.pick(FirewallKernelPools.ttls))
        case "tcp.flags": return random.pick([0x02, 0x12, 0x10, 0x11, 0x04, 0x00, 0xFF])
        case "icmp.type", "icmpv6.type": return random.pick(FirewallKernelPools.icmpTypes)
        case "icmp.code", "icmpv6.code": return UInt64(random.below(4))
        default: return random.pick(FirewallKernelPools.ports)
        }
    }
}
