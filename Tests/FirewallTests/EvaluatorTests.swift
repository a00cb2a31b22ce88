@testable import Firewall
import MoatModel
import Testing

@Suite struct EvaluatorTests {
    private func matches(_ text: String, _ packet: PacketBuilder, lists: [String: [CIDR]] = [:]) throws -> Bool {
        let checked = try Checker(lists: Set(lists.keys)).check(text)
        return Evaluator(lists: lists).matches(checked, bytes: packet.bytes)
    }

    static let ssh = PacketBuilder(transport: .tcp(source: 40000, destination: 22, flags: 0x02))
    static let dns = PacketBuilder(transport: .udp(source: 5353, destination: 53))
    static let ping6 = PacketBuilder(source: "2001:db8::1", destination: "2001:db8::2", ttl: 7, transport: .icmpv6(type: 128, code: 0))

    @Test(arguments: [
        ("tcp.dstport == 22", true),
        ("tcp.dstport != 22", false),
        ("tcp.srcport >= 40000 and tcp.srcport < 40001", true),
        ("tcp.flags.syn and not tcp.flags.ack", true),
        ("tcp.flags & 0x12 == 0x02", true),
        ("tcp.flags & 0x10", false),
        ("tcp.flags.syn == 0", false),
        ("ip.proto == tcp and ip.proto != 17", true),
        ("ip.src == 192.0.2.1 and ip.dst in {198.51.100.0/24}", true),
        ("ip.src == 192.0.2.0/24", true),
        ("ip.src != 192.0.2.1", false),
        ("ip.len == 40 and ip.ttl == 64", true),
        ("ip.frag", false),
        ("udp.dstport == 53 or tcp.dstport in {22 8000..8100}", true),
        ("ip.src in $office", true),
    ])
    func tcpOverIPv4(text: String, expected: Bool) throws {
        #expect(try matches(text, Self.ssh, lists: ["office": [CIDR("192.0.2.0/28")!, CIDR("2001:db8::/32")!]]) == expected)
    }

    /// A field of another protocol is absent: every comparison is false, `!=` included;
    /// only `not` turns it into true.
    @Test(arguments: [
        ("tcp.dstport != 22", false),
        ("tcp.dstport == 53", false),
        ("not tcp.dstport == 22", true),
        ("tcp.flags.syn == 0", false),
        ("not tcp.flags.syn", true),
        ("udp.dstport == 53 and udp.srcport == 5353", true),
        ("icmp.type != 8", false),
        ("ip.src == 2001:db8::1", false),
        ("ip.src != 2001:db8::1", false),
        ("not ip.src == 2001:db8::1", true),
    ])
    func crossProtocolOnUDP(text: String, expected: Bool) throws {
        #expect(try matches(text, Self.dns) == expected)
    }

    @Test(arguments: [
        ("icmpv6.type == 128 and icmpv6.code == 0", true),
        ("icmp.type == 128", false),
        ("ip.proto == icmpv6", true),
        ("ip.ttl == 7", true),
        ("ip.len == 48", true),
        ("ip.src in {2001:db8::/64}", true),
        ("ip.src in {192.0.2.0/24}", false),
        ("ip.src != 192.0.2.1", false),
        ("ip.src in $office", true),
        ("ip.frag", false),
    ])
    func icmpv6(text: String, expected: Bool) throws {
        #expect(try matches(text, Self.ping6, lists: ["office": [CIDR("2001:db8::/32")!]]) == expected)
    }

    @Test func icmpv4() throws {
        let ping = PacketBuilder(transport: .icmp(type: 8, code: 0))
        #expect(try matches("icmp.type == 8 and icmp.code == 0", ping))
        #expect(try !matches("icmpv6.type == 8", ping))
    }

    @Test func ipv4OptionsMoveTheTransportHeader() throws {
        var packet = Self.ssh
        packet.ipv4Options = [1, 1, 1, 0]
        #expect(try matches("tcp.dstport == 22 and ip.len == 44", packet))
    }

    @Test func ipv4Fragments() throws {
        var first = Self.ssh
        first.fragment = 0x2000  // MF, offset 0: transport header present
        #expect(try matches("ip.frag and tcp.dstport == 22", first))
        var later = Self.ssh
        later.fragment = 0x0010  // offset 16 (x8 bytes): no transport header
        #expect(try matches("ip.frag and ip.proto == tcp", later))
        #expect(try !matches("tcp.dstport == 22 or tcp.dstport != 22", later))
        #expect(try matches("not tcp.dstport == 22", later))
    }

    @Test func ipv6FragmentHeader() throws {
        var first = PacketBuilder(source: "2001:db8::1", destination: "2001:db8::2", transport: .udp(source: 1, destination: 53))
        first.fragment = 0x0001  // M flag, offset 0
        #expect(try matches("ip.frag and udp.dstport == 53 and ip.proto == udp", first))
        var later = first
        later.fragment = 0x0008  // offset 1
        #expect(try matches("ip.frag and ip.proto == udp", later))
        #expect(try !matches("udp.dstport == 53", later))
    }

    @Test(arguments: [
        [UInt8](), [0x45], [0x45, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0], [0x60, 0, 0, 0],
        [0x4F] + [UInt8](repeating: 0, count: 30), [0x45, 0, 0, 10] + [UInt8](repeating: 0, count: 16), [0x13, 0x37],
    ])
    func garbageHasNoFields(bytes: [UInt8]) throws {
        let evaluator = Evaluator()
        #expect(!evaluator.matches(try Checker().check("ip.len >= 0 or ip.frag or not not ip.frag"), bytes: bytes))
        #expect(evaluator.matches(try Checker().check("not ip.ttl == 1"), bytes: bytes))
    }

    @Test func truncatedTransportKeepsIPFields() throws {
        let bytes = Array(Self.ssh.bytes.prefix(23))  // 3 bytes of TCP: sport yes, dport no
        let evaluator = Evaluator()
        #expect(evaluator.matches(try Checker().check("tcp.srcport == 40000 and ip.ttl == 64"), bytes: bytes))
        #expect(!evaluator.matches(try Checker().check("tcp.dstport == 22 or tcp.dstport != 22"), bytes: bytes))
    }

    @Test func ipv6ExtensionHeadersAreSkipped() throws {
        // Hop-by-hop (8 bytes) then UDP.
        let udp = PacketBuilder(transport: .udp(source: 1, destination: 53)).payload
        let source = IPAddress("2001:db8::1")!.bytes, destination = IPAddress("2001:db8::2")!.bytes
        let body: [UInt8] = [17, 0, 1, 4, 0, 0, 0, 0] + udp
        let bytes: [UInt8] = [0x60, 0, 0, 0, 0, UInt8(body.count), 0, 64] + source + destination + body
        #expect(try Evaluator().matches(Checker().check("udp.dstport == 53 and ip.proto == udp"), bytes: bytes))
        // Truncated extension chain: protocol unknown.
        let cut = Array(bytes.prefix(41))
        #expect(try !Evaluator().matches(Checker().check("ip.proto == 0 or ip.proto != 0"), bytes: cut))
    }

    /// truncated-transport: a field whose bytes are missing is unreadable; the test and its
    /// negation are both false (the kernel cannot load it), `not` is pushed to the tests.
    @Test func truncatedTransportIsUnreadableInBothPolarities() throws {
        let bytes = Array(Self.ssh.bytes.prefix(23))  // 3 bytes of TCP: sport yes, dport no
        let evaluator = Evaluator()
        for text in ["not tcp.dstport == 22", "not tcp.dstport != 22", "not not tcp.dstport == 22", "not tcp.flags.syn",
                     "not (tcp.dstport == 22 or ip.ttl == 1)"] {
            #expect(!evaluator.matches(try Checker().check(text), bytes: bytes), "\(text)")
        }
        #expect(evaluator.matches(try Checker().check("not (tcp.dstport == 22 and ip.ttl == 1)"), bytes: bytes))
        #expect(evaluator.matches(try Checker().check("not udp.dstport == 22 and not tcp.srcport == 1"), bytes: bytes))
        // UDP with no header at all.
        let udp = Array(Self.dns.bytes.prefix(20))
        #expect(!evaluator.matches(try Checker().check("not udp.srcport < 22"), bytes: udp))
        #expect(evaluator.matches(try Checker().check("ip.proto == udp and not tcp.srcport < 22"), bytes: udp))
    }

    /// icmp-other-family: `icmp.*` needs IPv4 and `icmpv6.*` IPv6, as nft's `icmp`/`icmpv6`.
    @Test func icmpFieldsNeedTheirFamily() throws {
        let icmpIn6 = PacketBuilder(source: "2001:db8::1", destination: "2001:db8::2", transport: .raw(proto: 1, [8, 0, 0, 0, 0, 0, 0, 0]))
        let icmp6In4 = PacketBuilder(transport: .raw(proto: 58, [128, 0, 0, 0, 0, 0, 0, 0]))
        #expect(try !matches("icmp.type == 8 or icmp.code == 0", icmpIn6))
        #expect(try matches("not icmp.type == 8 and ip.proto == icmp", icmpIn6))
        #expect(try !matches("icmpv6.type == 128", icmp6In4))
        #expect(try matches("not icmpv6.type == 128 and ip.proto == 58", icmp6In4))
    }

    /// ipv6-ah: like the kernel's `meta l4proto`, the walk stops at an Authentication Header.
    @Test func ipv6AuthenticationHeaderIsTheProtocol() throws {
        let udp = PacketBuilder(transport: .udp(source: 1, destination: 53)).payload
        let source = IPAddress("2001:db8::1")!.bytes, destination = IPAddress("2001:db8::2")!.bytes
        let body: [UInt8] = [17, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] + udp  // AH, 12 bytes, then UDP
        let bytes: [UInt8] = [0x60, 0, 0, 0, 0, UInt8(body.count), 51, 64] + source + destination + body
        let evaluator = Evaluator()
        #expect(try evaluator.matches(Checker().check("ip.proto == ah and not udp.dstport == 53"), bytes: bytes))
        #expect(try !evaluator.matches(Checker().check("ip.proto == udp or udp.dstport == 53"), bytes: bytes))
    }
}
