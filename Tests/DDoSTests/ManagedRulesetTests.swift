import DDoS
import Foundation
import MoatModel
import Testing

@Suite struct ManagedRulesetTests {
    static func config(_ accounts: [EdgeDDoS.Account] = [], settings: DDoSSettings = .init()) -> EdgeConfig {
        let prefixes = [
            Prefix(accountID: "acme", spec: PrefixSpec(cidr: CIDR("203.0.113.0/24")!), status: .approved, at: Date()),
            Prefix(accountID: "acme", spec: PrefixSpec(cidr: CIDR("2001:db8::/48")!), status: .approved, at: Date()),
            Prefix(accountID: "beta", spec: PrefixSpec(cidr: CIDR("198.18.0.0/24")!), status: .approved, at: Date()),
            Prefix(accountID: "gamma", spec: PrefixSpec(cidr: CIDR("198.19.0.0/24")!), status: .pending, at: Date()),
        ]
        return EdgeConfig(version: 1, location: "ams", region: "EU", generatedAt: Date(), prefixes: prefixes,
                          ddos: EdgeDDoS(settings: settings, accounts: accounts))
    }

    @Test func accountsWithTheSameRulesShareAGroup() {
        let ruleset = ManagedRuleset(config: Self.config(), nflogGroup: 7)
        #expect(ruleset.groups.count == 1)
        #expect(ruleset.groups[0].prefixes.map(\.description) == ["203.0.113.0/24", "2001:db8::/48", "198.18.0.0/24"])
        #expect(!ruleset.sampled.contains(CIDR("198.19.0.0/24")!), "pending prefixes are not protected yet")
        let text = ruleset.render()
        #expect(text.hasPrefix("table inet moat_ddos\ndelete table inet moat_ddos\n"))
        #expect(text.contains("ip daddr @protected_v4 numgen random mod 100 == 0 log group 7 snaplen 128"))
        #expect(text.contains("set protected_v4 { type ipv4_addr; flags interval; elements = { 198.18.0.0/24, 203.0.113.0/24 }; }"))
        #expect(text.contains("udp sport @g0_amp ct state new counter drop"))
        #expect(text.contains("set g0_amp { type inet_service; elements = { 17, 19, 111, 123, 137, 389, 1900, 3702, 11211 }; }"))
        #expect(!text.contains("synproxy"))
        #expect(ruleset.sysctls.isEmpty)
    }

    @Test func anOverrideMakesItsOwnGroupAndSynproxyStaysInTheAccount() throws {
        var overrides = DDoSAccountSettings()
        overrides.managed = .object(["fragments": .string("drop"), "syn_per_source": .null, "amplification_ports": .array([])])
        overrides.synproxy = [ProtectedService(prefix: CIDR("198.18.0.10/32")!, ports: [80, 443]),
                              ProtectedService(prefix: CIDR("203.0.113.10/32")!, ports: [22])]
        let beta = EdgeDDoS.Account(accountID: "beta", settings: DDoSSettings(), overrides: overrides)
        let ruleset = ManagedRuleset(config: Self.config([beta]), nflogGroup: 9)
        #expect(ruleset.groups.count == 2)
        #expect(ruleset.groups[1].rules.fragments == .drop && ruleset.groups[1].rules.synPerSource == nil)
        // beta may not protect acme's address.
        #expect(ruleset.synproxy == [ProtectedService(prefix: CIDR("198.18.0.10/32")!, ports: [80, 443])])
        let text = ruleset.render()
        #expect(text.contains("elements = { 198.18.0.10 . 80, 198.18.0.10 . 443 }"))
        #expect(text.contains("ip daddr . tcp dport @synproxy_v4 ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm"))
        #expect(text.contains("ip frag-off & 0x3fff != 0 counter drop"))
        #expect(!text.contains("g1_amp") && !text.contains("g1_syn_v4"))
        #expect(ruleset.sysctls == ["net.netfilter.nf_conntrack_tcp_loose": "0"])
    }

    @Test func nothingProtectedDeletesTheTable() {
        let ruleset = ManagedRuleset(config: EdgeConfig(version: 1, location: "ams", region: "EU", generatedAt: Date()), nflogGroup: 7)
        #expect(ruleset.render() == "table inet moat_ddos\ndelete table inet moat_ddos\n")
    }

    @Test func mitigationStatements() {
        let fingerprint = AttackFingerprint(target: Samples.victim, protocolNumber: 17, sourcePort: 123, lengthMin: 468, lengthMax: 468)
        let text = MitigationRuleset.install("atk_00000000000000a1", fingerprint, timeout: 30)
        #expect(text.contains("add set inet moat_mitigate m_00000000000000a1 { type ipv4_addr; flags timeout; }"))
        #expect(text.contains("add element inet moat_mitigate m_00000000000000a1 { 203.0.113.10 timeout 30s }"))
        #expect(text.contains("add rule inet moat_mitigate attacks ip daddr @m_00000000000000a1 meta l4proto 17 udp sport 123 ip length 468 counter drop comment \"attack:atk_00000000000000a1\""))
    }
}
