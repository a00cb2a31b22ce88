/// The declared fields of the rule language: the first stage of the pipeline.
package enum Scheme {
    /// IANA protocol numbers accepted by name in `ip.proto`.
    package static let protocols: [String: UInt64] = [
        "icmp": 1, "igmp": 2, "ipip": 4, "tcp": 6, "udp": 17, "ipv6": 41, "gre": 47, "esp": 50, "ah": 51,
        "icmpv6": 58, "ospf": 89, "pim": 103, "vrrp": 112, "l2tp": 115, "sctp": 132, "udplite": 136,
    ]

    /// One row per field.
    package static let fields: [Field] = [
        Field("ip.src", .address, requires: .addressFamily,
              read: { .address($0.source) }, nft: .address(v4: "ip saddr", v6: "ip6 saddr")),
        Field("ip.dst", .address, requires: .addressFamily,
              read: { .address($0.destination) }, nft: .address(v4: "ip daddr", v6: "ip6 daddr")),
        Field("ip.proto", .number(bits: 8), requires: .ip, symbols: protocols,
              read: { packet in packet.transportProtocol.map { .number(UInt64($0)) } ?? .unreadable },
              nft: .number([NftLoad(expression: "meta l4proto", facts: .none, isProtocol: true)])),
        Field("ip.len", .number(bits: 16), requires: .ip, maskable: false,
              read: { .number($0.totalLength) },
              nft: .number([NftLoad(expression: "ip length", facts: .ipv4),
                            NftLoad(expression: "ip6 length", facts: .ipv6, bias: 40)])),
        Field("ip.ttl", .number(bits: 8), requires: .ip,
              read: { .number($0.hopLimit) },
              nft: .number([NftLoad(expression: "ip ttl", facts: .ipv4),
                            NftLoad(expression: "ip6 hoplimit", facts: .ipv6)])),
        Field("ip.frag", .bool, requires: .ip,
              read: { .bool($0.isFragment) },
              nft: .flag(set: [[NftAtom("ip frag-off & 0x3fff != 0", .ipv4)],
                               [NftAtom("exthdr frag exists", NftFacts(family: .ipv6, fragmentHeader: true))]],
                         clear: [[NftAtom("ip frag-off & 0x3fff == 0", .ipv4)],
                                 [NftAtom("exthdr frag missing", NftFacts(family: .ipv6, fragmentHeader: false))]])),
        transport("tcp.srcport", 6, offset: 0, bits: 16, nft: "tcp sport"),
        transport("tcp.dstport", 6, offset: 2, bits: 16, nft: "tcp dport"),
        transport("tcp.flags", 6, offset: 13, bits: 8, nft: "tcp flags", hex: true, bitmask: true),
        tcpFlag("fin", 0x01), tcpFlag("syn", 0x02), tcpFlag("reset", 0x04, nft: "rst"), tcpFlag("push", 0x08, nft: "psh"),
        tcpFlag("ack", 0x10), tcpFlag("urg", 0x20), tcpFlag("ece", 0x40, nft: "ecn"), tcpFlag("cwr", 0x80),
        transport("udp.srcport", 17, offset: 0, bits: 16, nft: "udp sport"),
        transport("udp.dstport", 17, offset: 2, bits: 16, nft: "udp dport"),
        // `icmp.*` is ICMP for IPv4 (protocol 1), as in Wireshark; ICMPv6 has its own fields
        // because the type numbers differ (echo request is 8 vs 128).
        // `icmp.*` needs IPv4 and `icmpv6.*` IPv6 (as nft's `icmp`/`icmpv6` in an inet table).
        transport("icmp.type", 1, family: .ipv4, offset: 0, bits: 8, nft: "icmp type"),
        transport("icmp.code", 1, family: .ipv4, offset: 1, bits: 8, nft: "icmp code"),
        transport("icmpv6.type", 58, family: .ipv6, offset: 0, bits: 8, nft: "icmpv6 type"),
        transport("icmpv6.code", 58, family: .ipv6, offset: 1, bits: 8, nft: "icmpv6 code"),
    ]

    private static let byName: [String: Field] = Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) })

    /// The row for a field name, if declared.
    package static func field(named name: String) -> Field? { byName[name] }

    private static func transport(_ name: String, _ proto: UInt8, family: Packet.Family? = nil, offset: Int, bits: Int,
                                  nft: String, hex: Bool = false, bitmask: Bool = false) -> Field {
        Field(name, .number(bits: bits), requires: .transport(proto, family: family),
              read: { packet in packet.transportField(proto, family: family, offset: offset, width: bits / 8) { .number($0) } },
              nft: .number([NftLoad(expression: nft, facts: .transport(proto, family: family), hex: hex, bitmask: bitmask)]))
    }

    private static func tcpFlag(_ name: String, _ bit: UInt64, nft: String? = nil) -> Field {
        let flag = nft ?? name
        return Field("tcp.flags.\(name)", .bool, requires: .transport(6),
                     read: { packet in packet.transportField(6, offset: 13, width: 1) { .bool($0 & bit != 0) } },
                     nft: .flag(set: [[NftAtom("tcp flags & \(flag) == \(flag)", .transport(6))]],
                                clear: [[NftAtom("tcp flags & \(flag) == 0", .transport(6))]]))
    }
}
