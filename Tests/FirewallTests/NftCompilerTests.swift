@testable import Firewall
import MoatModel
import Testing

@Suite struct NftCompilerTests {
    /// The account chain's rules for one rule, after the two that send later fragments away.
    private func chain(_ text: String, _ action: Action = .block, lists: Set<String> = []) throws -> [String] {
        try rules(text, action, lists: lists, chain: "acct_acme").dropFirst(2).map { $0 }
    }

    private func rules(_ text: String, _ action: Action = .block, lists: Set<String> = [], chain: String) throws -> [String] {
        let rule = NftRuleInput(id: "r1", expression: try Checker(lists: lists).check(text), action: action)
        let program = try NftCompiler(account: "acme").compile([rule])
        let rules = program.chains.first { $0.name == chain }?.rules ?? []
        return rules.map { inlined($0, program.sets).replacingOccurrences(of: " comment \"rule:r1\"", with: "") }
    }

    /// Later fragments leave the account chain first, for a chain where transport fields are
    /// absent: positive transport matches vanish there, their negations always hold.
    @Test func laterFragmentsHaveTheirOwnChain() throws {
        #expect(try rules("tcp.dstport == 22", chain: "acct_acme") == ["ip frag-off & 0x1fff != 0 return", "frag frag-off != 0 return",
                                                                        "tcp dport 22 counter drop"])
        #expect(try rules("tcp.dstport == 22", chain: "acct_acme.frag") == [])
        #expect(try rules("not tcp.dstport == 22", chain: "acct_acme").prefix(2) == ["ip frag-off & 0x1fff != 0 goto acct_acme.frag",
                                                                                   "frag frag-off != 0 goto acct_acme.frag"])
        #expect(try rules("not tcp.dstport == 22", chain: "acct_acme.frag") == [
            "meta l4proto != 6 counter drop", "ip frag-off & 0x1fff != 0 counter drop", "frag frag-off != 0 counter drop",
        ])
        #expect(try rules("ip.src == 192.0.2.1 or udp.dstport == 53", .log, chain: "acct_acme.frag") == ["ip saddr 192.0.2.1 counter"])
    }

    /// `rule` with each `@cN` replaced by that constant set's elements, as nft would show an
    /// inline set: the golden tables read as nft rules.
    private func inlined(_ rule: String, _ declarations: [String]) -> String {
        var result = rule
        for declaration in declarations where declaration.hasPrefix("set c") {
            let name = declaration.dropFirst("set ".count).prefix { $0 != " " }
            guard let start = declaration.range(of: "elements = "), let end = declaration.range(of: "; }", options: .backwards)
            else { continue }
            let elements = declaration[start.upperBound..<end.lowerBound]
            result = result.replacingOccurrences(of: "@\(name) ", with: "\(elements) ")
        }
        return result
    }

    @Test(arguments: [
        ("ip.src in {198.51.100.7 192.0.2.0/24 192.0.2.128/25 203.0.113.0/24 10.0.0.0/8}",
         ["ip saddr { 10.0.0.0/8, 192.0.2.0/24, 198.51.100.7, 203.0.113.0/24 } counter drop"]),
        // Negated sets of up to eight elements are written out in one rule.
        ("ip.src in {10.0.0.0/8 192.0.2.0/24} and not ip.src in {10.1.0.0/16 10.2.0.0/16}",
         ["ip saddr { 10.0.0.0/8, 192.0.2.0/24 } ip saddr != 10.1.0.0/16 ip saddr != 10.2.0.0/16 counter drop"]),
        ("tcp.dstport in {22 80 443 8000..8100 8050..8200}", ["tcp dport { 22, 80, 443, 8000-8200 } counter drop"]),
        ("tcp.dstport in {22 8000..8100 8050..8200}", ["tcp dport { 22, 8000-8200 } counter drop"]),
        ("udp.dstport in {1..1023}", ["udp dport 1-1023 counter drop"]),
        ("ip.src in {10.0.0.0/8 2001:db8::/32}", ["ip saddr 10.0.0.0/8 counter drop", "ip6 saddr 2001:db8::/32 counter drop"]),
        ("ip.src in $office", ["ip saddr @list_acme_office_v4 counter drop", "ip6 saddr @list_acme_office_v6 counter drop"]),
        ("not ip.dst in $office", ["ip6 daddr != @list_acme_office_v6 counter drop", "ip daddr != @list_acme_office_v4 counter drop"]),
        ("tcp.dstport != 22", ["tcp dport != 22 counter drop"]),
        // nft 1.0.6 would fuse two `!=` on adjacent fields into one "(type, code) != (0, 3)": the
        // second is masked, which nft compares on its own.
        ("icmpv6.type != 0 and icmpv6.code != 3", ["icmpv6 type != 0 icmpv6 code & 0xff != 3 counter drop"]),
        ("tcp.srcport != 1 and not tcp.dstport in {22 80}", ["tcp sport != 1 tcp dport & 0xffff != 22 tcp dport & 0xffff != 80 counter drop"]),
        ("ip.src != 192.0.2.1 and ip.dst != 192.0.2.2", ["ip saddr != 192.0.2.1 ip daddr & 255.255.255.255 != 192.0.2.2 counter drop"]),
        // A prefix is compared under its mask already: nothing to fuse.
        ("ip.src != 10.0.0.0/8 and ip.dst != 192.0.2.2", ["ip saddr != 10.0.0.0/8 ip daddr != 192.0.2.2 counter drop"]),
        ("not (ip.ttl < 10 and ip.proto == udp)", [
            "ip ttl >= 10 counter drop", "ip6 hoplimit >= 10 counter drop", "meta l4proto != 17 counter drop",
        ]),
        ("ip.src != 192.0.2.1", ["ip saddr != 192.0.2.1 counter drop"]),
        ("not ip.src == 192.0.2.1", ["meta nfproto != ipv4 counter drop", "ip saddr != 192.0.2.1 counter drop"]),
        ("tcp.dstport == 22 or udp.dstport == 53", ["tcp dport 22 counter drop"] + ["udp dport 53 counter drop"]),
        ("(ip.src == 192.0.2.1 or ip.src == 192.0.2.2) and (tcp.dstport == 22 or tcp.dstport == 23)", [
            "ip saddr 192.0.2.1 tcp dport 22 counter drop",
            "ip saddr 192.0.2.1 tcp dport 23 counter drop",
            "ip saddr 192.0.2.2 tcp dport 22 counter drop",
            "ip saddr 192.0.2.2 tcp dport 23 counter drop",
        ]),
        ("ip.proto == tcp and tcp.dstport == 80", ["tcp dport 80 counter drop"]),
        ("tcp.dstport == 22 and udp.dstport == 53", []),
        ("tcp.flags & 0x12 == 0x02", ["tcp flags & 0x12 == 0x02 counter drop"]),
        ("tcp.flags.syn and not tcp.flags.ack", ["tcp flags & syn == syn tcp flags & ack == 0 counter drop"]),
        ("ip.frag", ["ip frag-off & 0x3fff != 0 counter drop", "exthdr frag exists counter drop"]),
        ("not ip.frag", ["ip frag-off & 0x3fff == 0 counter drop", "exthdr frag missing counter drop"]),
        // ip.len is the whole packet: IPv6 payload length + 40.
        ("ip.len < 100", ["ip length < 100 counter drop", "ip6 length < 60 counter drop"]),
        ("ip.len < 30", ["ip length < 30 counter drop"]),
        ("ip.len > 20", ["ip length > 20 counter drop", "meta nfproto ipv6 counter drop"]),
        ("ip.len in {0..60 1500}", ["ip length { 0-60, 1500 } counter drop", "ip6 length { 0-20, 1460 } counter drop"]),
        ("ip.len in {0..60 100 1500 9000}", ["ip length { 0-60, 100, 1500, 9000 } counter drop",
                                             "ip6 length { 0-20, 60, 1460, 8960 } counter drop"]),
        ("icmp.type == 8 or icmpv6.type == 128", [
            "icmp type 8 counter drop",
            "icmpv6 type 128 counter drop",
        ]),
    ])
    func golden(text: String, expected: [String]) throws {
        #expect(try chain(text, lists: ["office"]) == expected)
    }

    /// The differential test's findings (`FirewallKernelKnownIssue`), as compiler output.
    static let kernelCases: [(String, [String])] = {
        // In the account chain a packet is not a later fragment: absent means another protocol.
        let absentTCP: [String] = ["meta l4proto != 6 counter drop"]
        var cases: [(String, [String])] = []
        cases.append(("not tcp.dstport == 22", absentTCP + ["tcp dport != 22 counter drop"]))
        // tcp-flag-ece: nft calls the flag `ecn`.
        cases.append(("tcp.flags.ece", ["tcp flags & ecn == ecn counter drop"]))
        // tcp-flags-equality: a bare value on a bitmask type means "any of these bits".
        cases.append(("tcp.flags == 17", ["tcp flags == 0x11 counter drop"]))
        cases.append(("tcp.flags in {17}", ["tcp flags == 0x11 counter drop"]))
        cases.append(("not tcp.flags != 17", absentTCP + ["tcp flags == 0x11 counter drop"]))
        cases.append(("tcp.flags != 17", ["tcp flags != 0x11 counter drop"]))
        cases.append(("tcp.flags & 0x3f in {0x11}", ["tcp flags & 0x3f == 0x11 counter drop"]))
        // tcp-flags-range-set: single values only (nft 1.0.6 crashes listing a range set on tcp flags).
        cases.append(("tcp.flags in {0 0x12..0x14}", ["tcp flags { 0x00, 0x12, 0x13, 0x14 } counter drop"]))
        cases.append(("tcp.flags in {0x12..0x13}", ["tcp flags { 0x12, 0x13 } counter drop"]))
        cases.append(("not tcp.flags in {0x12..0x13}", absentTCP + ["tcp flags != 0x12 tcp flags != 0x13 counter drop"]))
        cases.append(("not tcp.flags in {0 0x12..0x14}", absentTCP + ["tcp flags != 0x00 tcp flags != 0x12 tcp flags != 0x13 tcp flags != 0x14 counter drop"]))
        // icmp-other-family: icmp.* is IPv4 only, never with an IPv6 match.
        cases.append(("icmp.code == 0 and ip.src == 2001:db8::1", []))
        cases.append(("icmpv6.code == 0 and ip.src == 192.0.2.1", []))
        cases.append(("icmp.type == 8 and ip.len > 1000", ["icmp type 8 ip length > 1000 counter drop"]))
        cases.append(("icmpv6.type == 128 and ip.len > 1000", ["icmpv6 type 128 ip6 length > 960 counter drop"]))
        cases.append(("not icmp.type == 8", [
            "meta l4proto != 1 counter drop", "meta nfproto != ipv4 counter drop",
            "icmp type != 8 counter drop",
        ]))
        // l4proto-set-then-transport: the transport match implies the protocol.
        cases.append(("ip.proto in {6 17} and tcp.dstport == 443", ["tcp dport 443 counter drop"]))
        cases.append(("ip.proto in {sctp} and tcp.flags.push == false", []))
        cases.append(("not ip.proto in {6 17} and tcp.dstport == 443", []))
        cases.append(("not ip.proto in {6 17} and icmp.type == 8", ["icmp type 8 counter drop"]))
        cases.append(("ip.proto in {6 17}", ["meta l4proto { 6, 17 } counter drop"]))
        // masked-ip-proto: a masked protocol test is not a protocol fact.
        cases.append(("ip.proto & 1 != 1 and udp.dstport == 22", ["meta l4proto & 0x01 != 0x01 udp dport 22 counter drop"]))
        return cases
    }()

    @Test(arguments: kernelCases)
    func kernelFindings(text: String, expected: [String]) throws {
        #expect(try chain(text) == expected)
    }

    @Test func allowIsAcceptAndLogIsCounterOnly() throws {
        #expect(try chain("tcp.dstport == 22", .allow) == ["tcp dport 22 counter accept"])
        #expect(try chain("ip.proto == tcp", .log) == ["meta l4proto 6 counter"])
    }

    @Test func rateLimitUsesPerSourceSetsPerFamily() throws {
        let rule = NftRuleInput(id: "dns", expression: try Checker().check("ip.proto == udp"),
                                action: .rateLimit(packetsPerSecond: 100, burst: 20))
        let program = try NftCompiler(account: "acme").compile([rule])
        #expect(program.sets == [
            "set rl_v4 { type ipv4_addr . mark; size 262144; flags dynamic,timeout; timeout 1m; }",
            "set rl_v6 { type ipv6_addr . mark; size 262144; flags dynamic,timeout; timeout 1m; }",
        ])
        // The same tag in both chains: a later fragment spends the same source's tokens.
        let limits = [
            "meta l4proto 17 update @rl_v4 { ip saddr . 1 limit rate over 100/second burst 20 packets } counter drop comment \"rule:dns\"",
            "meta l4proto 17 update @rl_v6 { ip6 saddr . 1 limit rate over 100/second burst 20 packets } counter drop comment \"rule:dns\"",
        ]
        #expect(program.chains == [
            NftChain(name: "acct_acme.frag", rules: limits),
            NftChain(name: "acct_acme", rules: ["ip frag-off & 0x1fff != 0 goto acct_acme.frag", "frag frag-off != 0 goto acct_acme.frag"] + limits),
        ])
        // A family-specific match does not get the other family's limiter.
        #expect(try chain("ip.src == 192.0.2.1", .rateLimit(packetsPerSecond: 1, burst: 1)) == [
            "ip saddr 192.0.2.1 update @rl_v4 { ip saddr . 1 limit rate over 1/second burst 1 packets } counter drop",
        ])
    }

    /// One table shares its sets: every rate-limited rule gets its own tag in the two
    /// rate-limit sets, and equal constant sets are declared once, whichever account uses them.
    @Test func tableSharesRateLimitAndConstantSets() throws {
        func account(_ id: String, _ third: Int) throws -> NftRuleset.Account {
            let rules = [
                NftRuleInput(id: "\(id)-ssh", expression: try Checker().check("tcp.dstport in {22 3389 5900 8080}"), action: .block),
                NftRuleInput(id: "\(id)-dns", expression: try Checker().check("udp.dstport in {53 67 69 \(third)}"),
                             action: .rateLimit(packetsPerSecond: 10, burst: 5)),
            ]
            return NftRuleset.Account(id: id, prefixes: [CIDR("192.0.2.\(third % 256)/32")!], rules: rules, lists: [:])
        }
        let text = try NftRuleset(accounts: [account("a", 123), account("b", 124)]).render()
        let declarations = text.split(separator: "\n").filter { $0.hasPrefix("\tset ") }
        #expect(declarations == [
            "\tset rl_v4 { type ipv4_addr . mark; size 262144; flags dynamic,timeout; timeout 1m; }",
            "\tset rl_v6 { type ipv6_addr . mark; size 262144; flags dynamic,timeout; timeout 1m; }",
            "\tset c0 { typeof tcp dport; elements = { 22, 3389, 5900, 8080 }; }",
            "\tset c1 { typeof udp dport; elements = { 53, 67, 69, 123 }; }",
            "\tset c2 { typeof udp dport; elements = { 53, 67, 69, 124 }; }",
        ])
        #expect(text.components(separatedBy: "tcp dport @c0 ").count - 1 == 2)
        #expect(text.contains("udp dport @c1 update @rl_v4 { ip saddr . 1 "))
        #expect(text.contains("udp dport @c2 update @rl_v4 { ip saddr . 2 "))
        #expect(text.contains("ip saddr . 1 limit rate over 10/second") && text.contains("ip saddr . 2 limit rate over 10/second"))
    }

    /// Continuing actions with several conjunctions go through a sub-chain so that a packet
    /// is counted (and spends a token) once.
    @Test func orWithLogUsesSubChains() throws {
        let rules = [
            NftRuleInput(id: "a", expression: try Checker().check("ip.proto == tcp or ip.ttl < 5"), action: .log),
            NftRuleInput(id: "b", expression: try Checker().check("ip.frag"), action: .block),
        ]
        let text = try NftCompiler(account: "acme").compile(rules).render(table: "moat")
        #expect(text == """
            table inet moat {
            \tchain acct_acme.r0.act {
            \t\tcounter comment "rule:a"
            \t}
            \tchain acct_acme.r0 {
            \t\tmeta l4proto 6 goto acct_acme.r0.act
            \t\tip ttl < 5 goto acct_acme.r0.act
            \t\tip6 hoplimit < 5 goto acct_acme.r0.act
            \t}
            \tchain acct_acme.frag.r0.act {
            \t\tcounter comment "rule:a"
            \t}
            \tchain acct_acme.frag.r0 {
            \t\tmeta l4proto 6 goto acct_acme.frag.r0.act
            \t\tip ttl < 5 goto acct_acme.frag.r0.act
            \t\tip6 hoplimit < 5 goto acct_acme.frag.r0.act
            \t}
            \tchain acct_acme.frag {
            \t\tjump acct_acme.frag.r0
            \t\tip frag-off & 0x3fff != 0 counter drop comment "rule:b"
            \t\texthdr frag exists counter drop comment "rule:b"
            \t}
            \tchain acct_acme {
            \t\tip frag-off & 0x1fff != 0 goto acct_acme.frag
            \t\tfrag frag-off != 0 goto acct_acme.frag
            \t\tjump acct_acme.r0
            \t\tip frag-off & 0x3fff != 0 counter drop comment "rule:b"
            \t\texthdr frag exists counter drop comment "rule:b"
            \t}
            }

            """)
    }

    @Test func refusesExplosiveDNF() throws {
        let clause = (0..<9).map { "(ip.ttl == \($0) or tcp.dstport == \($0))" }.joined(separator: " and ")
        let rule = NftRuleInput(id: "big", expression: try Checker().check(clause), action: .block)
        #expect(throws: NftCompileError.self) { try NftCompiler(account: "acme").compile([rule]) }
        do {
            _ = try NftCompiler(account: "acme").compile([rule])
        } catch {
            #expect(error.code == .tooComplex && error.ruleID == "big")
        }
    }

    @Test func listDeclarationsSplitByFamily() {
        let declarations = NftLists.declarations(account: "acme", list: "office",
                                                 prefixes: [CIDR("10.1.0.0/16")!, CIDR("10.0.0.0/8")!, CIDR("192.0.2.7/32")!])
        #expect(declarations == [
            "set list_acme_office_v4 { type ipv4_addr; flags interval; elements = { 10.0.0.0/8, 192.0.2.7 }; }",
            "set list_acme_office_v6 { type ipv6_addr; flags interval; }",
        ])
    }
}
