import Firewall
import MoatModel

/// The edge's `inet moat_ddos` table: the sampling rule that feeds the detector, and the
/// managed rules for traffic to protected prefixes. Replaced as a whole in one transaction on
/// every config change (mitigations live in their own table and are not disturbed).
///
/// Chains, by hook priority:
/// - `sample` (-500): one packet in N to a protected prefix goes to NFLOG, before anything
///   drops it, so the detector sees an attack also while it is mitigated (mitigations: -475);
/// - `stateless` (-450): impossible TCP flags, fragments, per-source rate limits, before
///   defragmentation (-400) so fragments are seen as such, and before conntrack (-200) so a
///   flood costs no conntrack entries;
/// - `stateful` (-150): invalid and out-of-state packets, unanswered amplification sources;
/// - `synproxy_raw` (-300) and `synproxy` (forward and input, 0): the SYN proxy recipe of
///   nftables' synproxy statement.
///
/// Accounts with the same effective managed rules share one group of chains, so the rule count
/// grows with the number of distinct settings, not of accounts.
package struct ManagedRuleset: Sendable {
    package static let table = "moat_ddos"

    package struct Group: Equatable, Sendable {
        package var rules: ManagedRules
        package var prefixes: [CIDR]

        package init(rules: ManagedRules, prefixes: [CIDR]) {
            self.rules = rules
            self.prefixes = prefixes
        }
    }

    package var groups: [Group]
    package var synproxy: [ProtectedService]
    /// Every protected prefix (what is sampled).
    package var sampled: [CIDR]
    package var sampleRate: Int
    package var nflogGroup: UInt16
    /// Bytes of each sampled packet sent to the detector (headers are enough).
    package var snaplen = 128
    /// How long a per-source rate-limit entry lives after its last packet.
    package var sourceTimeout = 10

    package init(groups: [Group], synproxy: [ProtectedService], sampled: [CIDR], sampleRate: Int, nflogGroup: UInt16) {
        self.groups = groups
        self.synproxy = synproxy
        self.sampled = sampled
        self.sampleRate = sampleRate
        self.nflogGroup = nflogGroup
    }

    /// The ruleset for an edge config: approved prefixes grouped by their account's effective
    /// managed rules.
    package init(config: EdgeConfig, nflogGroup: UInt16) {
        var groups: [Group] = []
        var synproxy: [ProtectedService] = []
        var sampled: [CIDR] = []
        let approved = config.prefixes.filter { $0.status == .approved }
        for accountID in Set(approved.map(\.accountID)).sorted() {
            let account = config.ddos.account(accountID)
            let prefixes = approved.filter { $0.accountID == accountID }.map(\.cidr)
            sampled += prefixes
            // Only the account's own space gets its SYN proxy.
            synproxy += account.synproxy.filter { service in prefixes.contains { $0.contains(service.prefix) } }
            if let index = groups.firstIndex(where: { $0.rules == account.managed }) {
                groups[index].prefixes += prefixes
            } else {
                groups.append(Group(rules: account.managed, prefixes: prefixes))
            }
        }
        self.init(groups: groups, synproxy: synproxy, sampled: sampled, sampleRate: config.ddos.settings.sampleRate, nflogGroup: nflogGroup)
    }

    package var isEmpty: Bool { sampled.isEmpty }

    /// Replaces the table (`table`, `delete table`, definition: all or nothing); with nothing to
    /// protect it only deletes it.
    package func render() -> String {
        let replace = "table inet \(Self.table)\ndelete table inet \(Self.table)\n"
        guard !isEmpty else { return replace }
        var sets: [String] = []
        var chains: [String] = []
        sets += Self.addressSets("protected", sampled)
        let sampling = sampleRate > 1 ? "numgen random mod \(sampleRate) == 0 " : ""
        let log = "log group \(nflogGroup) snaplen \(snaplen)"
        chains.append(Self.chain("sample", hook: "prerouting", priority: -500, [
            "ip daddr @protected_v4 \(sampling)\(log)",
            "ip6 daddr @protected_v6 \(sampling)\(log)",
        ]))
        var stateless: [String] = []
        var stateful: [String] = []
        let proxied = !synproxy.isEmpty
        if proxied {
            sets.append(Self.serviceSet("synproxy_v4", type: "ipv4_addr", synproxy.filter(\.prefix.isIPv4)))
            sets.append(Self.serviceSet("synproxy_v6", type: "ipv6_addr", synproxy.filter { !$0.prefix.isIPv4 }))
        }
        for (index, group) in groups.enumerated() {
            let name = "g\(index)"
            sets += Self.addressSets(name, group.prefixes)
            sets += Self.meterSets(name, group.rules, timeout: sourceTimeout)
            if !group.rules.amplificationPorts.isEmpty {
                sets.append("set \(name)_amp { type inet_service; elements = { \(group.rules.amplificationPorts.map(String.init).joined(separator: ", ")) }; }")
            }
            stateless += ["ip daddr @\(name)_v4 jump \(name)", "ip6 daddr @\(name)_v6 jump \(name)"]
            stateful += ["ip daddr @\(name)_v4 jump \(name)_state", "ip6 daddr @\(name)_v6 jump \(name)_state"]
            chains.append(Self.chain(name, Self.statelessRules(name, group.rules)))
            chains.append(Self.chain("\(name)_state", Self.statefulRules(name, group.rules, synproxy: proxied)))
        }
        chains.append(Self.chain("stateless", hook: "prerouting", priority: -450, stateless))
        chains.append(Self.chain("stateful", hook: "prerouting", priority: -150, stateful))
        if proxied {
            chains.append(Self.chain("synproxy_raw", hook: "prerouting", priority: -300, [
                "ip daddr . tcp dport @synproxy_v4 tcp flags syn notrack",
                "ip6 daddr . tcp dport @synproxy_v6 tcp flags syn notrack",
            ]))
            let proxy = [
                "ip daddr . tcp dport @synproxy_v4 ct state invalid,untracked synproxy mss 1460 wscale 7 timestamp sack-perm",
                "ip6 daddr . tcp dport @synproxy_v6 ct state invalid,untracked synproxy mss 1440 wscale 7 timestamp sack-perm",
                "ip daddr . tcp dport @synproxy_v4 ct state invalid counter drop comment \"managed:synproxy\"",
                "ip6 daddr . tcp dport @synproxy_v6 ct state invalid counter drop comment \"managed:synproxy\"",
            ]
            chains.append(Self.chain("synproxy_forward", hook: "forward", priority: 0, proxy))
            chains.append(Self.chain("synproxy_input", hook: "input", priority: 0, proxy))
        }
        return replace + "table inet \(Self.table) {\n" + (sets + chains).map { "  " + $0 }.joined(separator: "\n") + "\n}\n"
    }

    /// The sysctls the table needs: the SYN proxy only works when conntrack does not pick up
    /// flows from their middle.
    package var sysctls: [String: String] {
        synproxy.isEmpty ? [:] : ["net.netfilter.nf_conntrack_tcp_loose": "0"]
    }

    static func statelessRules(_ name: String, _ rules: ManagedRules) -> [String] {
        var lines: [String] = []
        if rules.dropBadTCPFlags {
            for (mask, value, what) in [("fin|syn", "fin|syn", "syn-fin"), ("syn|rst", "syn|rst", "syn-rst"), ("fin|rst", "fin|rst", "fin-rst"),
                                        ("fin|syn|rst|psh|ack|urg", "0x0", "null"), ("fin|psh|urg|ack", "fin|psh|urg", "xmas")] {
                lines.append("tcp flags & (\(mask)) == \(value) counter drop comment \"managed:tcp-flags:\(what)\"")
            }
        }
        if rules.fragments == .drop {
            lines.append("ip frag-off & 0x3fff != 0 counter drop comment \"managed:fragments\"")
            lines.append("exthdr frag exists counter drop comment \"managed:fragments\"")
        }
        for (kind, rate, match) in [("syn", rules.synPerSource, "tcp flags & (syn|ack|rst|fin) == syn"), ("udp", rules.udpPerSource, "meta l4proto udp"),
                                    ("icmp", rules.icmpPerSource, "meta l4proto { icmp, ipv6-icmp }")] {
            guard let rate else { continue }
            let limit = "limit rate over \(rate)/second burst \(max(rate, 5)) packets"
            lines.append("\(match) add @\(name)_\(kind)_v4 { ip saddr \(limit) } counter drop comment \"managed:\(kind)-per-source\"")
            lines.append("\(match) add @\(name)_\(kind)_v6 { ip6 saddr \(limit) } counter drop comment \"managed:\(kind)-per-source\"")
        }
        return lines
    }

    static func statefulRules(_ name: String, _ rules: ManagedRules, synproxy: Bool) -> [String] {
        var lines: [String] = []
        // The SYN proxy's own handshake packets are invalid to conntrack until it has answered them.
        if synproxy {
            lines += ["ip daddr . tcp dport @synproxy_v4 return", "ip6 daddr . tcp dport @synproxy_v6 return"]
        }
        if rules.dropInvalid {
            lines.append("ct state invalid counter drop comment \"managed:invalid\"")
            lines.append("meta l4proto tcp ct state new tcp flags & (syn|rst|ack|fin) != syn counter drop comment \"managed:out-of-state\"")
        }
        if !rules.amplificationPorts.isEmpty {
            lines.append("udp sport @\(name)_amp ct state new counter drop comment \"managed:amplification\"")
        }
        return lines
    }

    static func meterSets(_ name: String, _ rules: ManagedRules, timeout: Int) -> [String] {
        var sets: [String] = []
        for (kind, rate) in [("syn", rules.synPerSource), ("udp", rules.udpPerSource), ("icmp", rules.icmpPerSource)] where rate != nil {
            // Bounded: a spoofed flood fills the set and further sources are not limited per
            // source (the detector's mitigation takes over), but memory stays fixed.
            sets.append("set \(name)_\(kind)_v4 { type ipv4_addr; size 65536; flags dynamic,timeout; timeout \(timeout)s; }")
            sets.append("set \(name)_\(kind)_v6 { type ipv6_addr; size 65536; flags dynamic,timeout; timeout \(timeout)s; }")
        }
        return sets
    }

    static func addressSets(_ name: String, _ prefixes: [CIDR]) -> [String] {
        [("v4", "ipv4_addr", true), ("v6", "ipv6_addr", false)].map { suffix, type, v4 in
            let members = NftSyntax.disjoint(prefixes.filter { $0.isIPv4 == v4 }).map(NftSyntax.element)
            let elements = members.isEmpty ? "" : " elements = { " + members.joined(separator: ", ") + " };"
            return "set \(name)_\(suffix) { type \(type); flags interval;\(elements) }"
        }
    }

    static func serviceSet(_ name: String, type: String, _ services: [ProtectedService]) -> String {
        var members: [String] = []
        for service in services {
            let address = NftSyntax.element(service.prefix)
            for port in service.ports { members.append("\(address) . \(port)") }
        }
        let elements = members.isEmpty ? "" : " elements = { " + members.joined(separator: ", ") + " };"
        return "set \(name) { type \(type) . inet_service; flags interval;\(elements) }"
    }

    static func chain(_ name: String, hook: String? = nil, priority: Int = 0, _ rules: [String]) -> String {
        var lines = ["chain \(name) {"]
        if let hook { lines.append("    type filter hook \(hook) priority \(priority); policy accept;") }
        lines += rules.map { "    " + $0 }
        lines.append("  }")
        return lines.joined(separator: "\n")
    }
}
