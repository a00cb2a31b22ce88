@testable import Firewall
import MoatModel
import Testing

@Suite struct NftCompilerTests {
    private func chain(_ text: String, _ action: Action = .block, lists: Set<String> = []) throws -> [String] {
        let rule = NftRuleInput(id: "r1", expression: try Checker(lists: lists).check(text), action: action)
        let program = try NftCompiler(account: "acme").compile([rule])
        return program.chains.last!.rules.map { $0.replacingOccurrences(of: " comment \"rule:r1\"", with: "") }
    }

    @Test(arguments: [
        ("ip.src in {198.51.100.7 192.0.2.0/24 192.0.2.128/25}", ["ip saddr { 192.0.2.0/24, 198.51.100.7 } counter drop"]),
        ("tcp.dstport in {22 8000..8100 8050..8200}", ["tcp dport { 22, 8000-8200 } counter drop"]),
        ("udp.dstport in {1..1023}", ["udp dport 1-1023 counter drop"]),
        ("ip.src in {10.0.0.0/8 2001:db8::/32}", ["ip saddr 10.0.0.0/8 counter drop", "ip6 saddr 2001:db8::/32 counter drop"]),
        ("ip.src in $office", ["ip saddr @list_acme_office_v4 counter drop", "ip6 saddr @list_acme_office_v6 counter drop"]),
        ("not ip.dst in $office", ["ip6 daddr != @list_acme_office_v6 counter drop", "ip daddr != @list_acme_office_v4 counter drop"]),
        ("tcp.dstport != 22", ["tcp dport != 22 counter drop"]),
        ("not tcp.dstport == 22", [
            "meta l4proto != 6 counter drop", "ip frag-off & 0x1fff != 0 counter drop",
            "frag frag-off != 0 counter drop", "tcp dport != 22 counter drop",
        ]),
        ("not (ip.ttl < 10 and ip.proto == udp)", [
            "ip ttl >= 10 counter drop", "ip6 hoplimit >= 10 counter drop", "meta l4proto != 17 counter drop",
        ]),
        ("ip.src != 192.0.2.1", ["ip saddr != 192.0.2.1 counter drop"]),
        ("not ip.src == 192.0.2.1", ["meta nfproto != ipv4 counter drop", "ip saddr != 192.0.2.1 counter drop"]),
        ("tcp.dstport == 22 or udp.dstport == 53", ["tcp dport 22 counter drop", "udp dport 53 counter drop"]),
        ("(ip.src == 192.0.2.1 or ip.src == 192.0.2.2) and (tcp.dstport == 22 or tcp.dstport == 23)", [
            "ip saddr 192.0.2.1 tcp dport 22 counter drop", "ip saddr 192.0.2.1 tcp dport 23 counter drop",
            "ip saddr 192.0.2.2 tcp dport 22 counter drop", "ip saddr 192.0.2.2 tcp dport 23 counter drop",
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
        ("icmp.type == 8 or icmpv6.type == 128", ["icmp type 8 counter drop", "icmpv6 type 128 counter drop"]),
    ])
    func golden(text: String, expected: [String]) throws {
        #expect(try chain(text, lists: ["office"]) == expected)
    }

    @Test func allowIsAcceptAndLogIsCounterOnly() throws {
        #expect(try chain("tcp.dstport == 22", .allow) == ["tcp dport 22 counter accept"])
        #expect(try chain("tcp.dstport == 22", .log) == ["tcp dport 22 counter"])
    }

    @Test func rateLimitUsesPerSourceSetsPerFamily() throws {
        let rule = NftRuleInput(id: "dns", expression: try Checker().check("udp.dstport == 53"),
                                action: .rateLimit(packetsPerSecond: 100, burst: 20))
        let program = try NftCompiler(account: "acme").compile([rule])
        #expect(program.sets == [
            "set rl_acme_r0_v4 { type ipv4_addr; size 65535; flags dynamic,timeout; timeout 1m; }",
            "set rl_acme_r0_v6 { type ipv6_addr; size 65535; flags dynamic,timeout; timeout 1m; }",
        ])
        #expect(program.chains == [NftChain(name: "acct_acme", rules: [
            "udp dport 53 update @rl_acme_r0_v4 { ip saddr limit rate over 100/second burst 20 packets } counter drop comment \"rule:dns\"",
            "udp dport 53 update @rl_acme_r0_v6 { ip6 saddr limit rate over 100/second burst 20 packets } counter drop comment \"rule:dns\"",
        ])])
        // A family-specific match does not get the other family's limiter.
        #expect(try chain("ip.src == 192.0.2.1", .rateLimit(packetsPerSecond: 1, burst: 1)) == [
            "ip saddr 192.0.2.1 update @rl_acme_r0_v4 { ip saddr limit rate over 1/second burst 1 packets } counter drop",
        ])
    }

    /// Continuing actions with several conjunctions go through a sub-chain so that a packet
    /// is counted (and spends a token) once.
    @Test func orWithLogUsesSubChains() throws {
        let rules = [
            NftRuleInput(id: "a", expression: try Checker().check("tcp.dstport == 22 or ip.ttl < 5"), action: .log),
            NftRuleInput(id: "b", expression: try Checker().check("ip.frag"), action: .block),
        ]
        let text = try NftCompiler(account: "acme").compile(rules).render(table: "moat")
        #expect(text == """
            table inet moat {
            \tchain acct_acme_r0_act {
            \t\tcounter comment "rule:a"
            \t}
            \tchain acct_acme_r0 {
            \t\ttcp dport 22 goto acct_acme_r0_act
            \t\tip ttl < 5 goto acct_acme_r0_act
            \t\tip6 hoplimit < 5 goto acct_acme_r0_act
            \t}
            \tchain acct_acme {
            \t\tjump acct_acme_r0
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
