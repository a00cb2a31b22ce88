import MoatModel
import NetLab
import Testing
@testable import DDoS

/// Packets as NFLOG hands them over, made with scapy and written down as hex.
enum Golden {
    /// 198.51.100.7:40001 → 203.0.113.10:443, TTL 57, DF, SYN with MSS, SACK, timestamps, wscale.
    static let ipv4SYN = hex("""
        4500 003c 1c46 4000 3906 bf30 c633 6407 cb00 710a   # IPv4, 60 bytes, TTL 57, TCP
        9c41 01bb 1234 5678 0000 0000 a002 2000 bb10 0000   # TCP 40001 → 443, offset 10, SYN
        0204 05b4 0402 080a 0000 0001 0000 0000 0103 0307   # options
        """)
    /// 192.0.2.53:53 → 203.0.113.10:33000, TTL 250, 40 bytes of payload.
    static let ipv4UDP = hex("""
        4500 0044 0007 0000 fa11 c261 c000 0235 cb00 710a   # IPv4, 68 bytes, TTL 250, UDP
        0035 80e8 0030 16c7                                 # UDP 53 → 33000
        """) + [UInt8](repeating: 0xab, count: 40)
    /// 198.51.100.9 → 203.0.113.10 echo request, TTL 63.
    static let ipv4Echo = hex("""
        4500 002c 0009 0000 3f01 1581 c633 6409 cb00 710a   # IPv4, 44 bytes, TTL 63, ICMP
        0800 7c44 0077 0001 7069 6e67 7069 6e67 7069 6e67 7069 6e67
        """)
    /// A 108-byte UDP datagram 5000 → 6000 cut in three, ID 0xbeef.
    static let ipv4Fragments = [
        hex("45000044beef200040113574c6336407cb00710a 13881770006ce650") + [UInt8](repeating: 0x78, count: 40), // MF, offset 0
        hex("45000044beef20064011356ec6336407cb00710a") + [UInt8](repeating: 0x78, count: 48),                   // MF, offset 6 × 8
        hex("45000020beef000c4011558cc6336407cb00710a") + [UInt8](repeating: 0x78, count: 12),                   // last, offset 12 × 8
    ]
    /// 2001:db8::7 → 2001:db8:1::10, hop limit 61, UDP 5353 → 7000 behind a fragment header.
    static let ipv6FirstFragment = hex("""
        6000 0000 0024 2c3d                                 # payload 36, next header 44 (fragment), hop limit 61
        2001 0db8 0000 0000 0000 0000 0000 0007
        2001 0db8 0001 0000 0000 0000 0000 0010
        1100 0001 0000 1234                                 # fragment: next 17, offset 0, M
        14e9 1b58 001c b52c                                 # UDP 5353 → 7000
        """) + [UInt8](repeating: 0x79, count: 20)
    /// A later fragment of the same datagram: offset 6 × 8, no transport header.
    static let ipv6LaterFragment = hex("""
        6000 0000 0018 2c3d
        2001 0db8 0000 0000 0000 0000 0000 0007
        2001 0db8 0001 0000 0000 0000 0000 0010
        1100 0030 0000 1234                                 # fragment: next 17, offset 6, last
        """) + [UInt8](repeating: 0x79, count: 16)
    /// 2001:db8::7:51000 → 2001:db8:1::10:80, SYN-ACK, hop limit 64.
    static let ipv6TCP = hex("""
        6000 0000 0014 0640
        2001 0db8 0000 0000 0000 0000 0000 0007
        2001 0db8 0001 0000 0000 0000 0000 0010
        c738 0050 0000 0001 0000 0002 5012 2000 6cbd 0000   # TCP 51000 → 80, SYN ACK
        """)
    /// Echo request behind a hop-by-hop and a destination options header.
    static let ipv6EchoWithOptions = hex("""
        6000 0000 0018 0040
        2001 0db8 0000 0000 0000 0000 0000 0007
        2001 0db8 0001 0000 0000 0000 0000 0010
        3c00 0104 0000 0000                                 # hop-by-hop: next 60, PadN
        3a00 0104 0000 0000                                 # destination options: next 58, PadN
        8000 2430 0001 0002                                 # ICMPv6 echo request
        """)

    static let all = [ipv4SYN, ipv4UDP, ipv4Echo, ipv6FirstFragment, ipv6LaterFragment, ipv6TCP, ipv6EchoWithOptions] + ipv4Fragments
}

@Suite struct PacketSampleParseTests {
    let attacker = IPAddress("198.51.100.7")!
    let target = IPAddress("203.0.113.10")!
    let attacker6 = IPAddress("2001:db8::7")!
    let target6 = IPAddress("2001:db8:1::10")!

    @Test func ipv4TCPSYN() {
        #expect(PacketSample.parse(ipPacket: Golden.ipv4SYN) == PacketSample(
            source: attacker, destination: target, protocolNumber: 6, length: 60, ttl: 57,
            sourcePort: 40001, destinationPort: 443, tcpFlags: 0x02))
    }

    @Test func ipv4UDP() {
        #expect(PacketSample.parse(ipPacket: Golden.ipv4UDP) == PacketSample(
            source: IPAddress("192.0.2.53")!, destination: target, protocolNumber: 17, length: 68, ttl: 250,
            sourcePort: 53, destinationPort: 33000))
    }

    @Test func ipv4ICMPEcho() {
        #expect(PacketSample.parse(ipPacket: Golden.ipv4Echo) == PacketSample(
            source: IPAddress("198.51.100.9")!, destination: target, protocolNumber: 1, length: 44, ttl: 63, icmpType: 8))
    }

    @Test func ipv4FragmentsHavePortsOnlyInTheFirst() {
        let samples = Golden.ipv4Fragments.map { PacketSample.parse(ipPacket: $0) }
        #expect(samples == [
            PacketSample(source: attacker, destination: target, protocolNumber: 17, length: 68, ttl: 64,
                         sourcePort: 5000, destinationPort: 6000, isFragment: true),
            PacketSample(source: attacker, destination: target, protocolNumber: 17, length: 68, ttl: 64, isFragment: true),
            PacketSample(source: attacker, destination: target, protocolNumber: 17, length: 32, ttl: 64, isFragment: true),
        ])
    }

    @Test func ipv6UDPBehindAFragmentHeader() {
        #expect(PacketSample.parse(ipPacket: Golden.ipv6FirstFragment) == PacketSample(
            source: attacker6, destination: target6, protocolNumber: 17, length: 76, ttl: 61,
            sourcePort: 5353, destinationPort: 7000, isFragment: true))
        #expect(PacketSample.parse(ipPacket: Golden.ipv6LaterFragment) == PacketSample(
            source: attacker6, destination: target6, protocolNumber: 17, length: 64, ttl: 61, isFragment: true))
    }

    @Test func ipv6TCP() {
        #expect(PacketSample.parse(ipPacket: Golden.ipv6TCP) == PacketSample(
            source: attacker6, destination: target6, protocolNumber: 6, length: 60, ttl: 64,
            sourcePort: 51000, destinationPort: 80, tcpFlags: 0x12))
    }

    @Test func ipv6ICMPBehindOptionHeaders() {
        #expect(PacketSample.parse(ipPacket: Golden.ipv6EchoWithOptions) == PacketSample(
            source: attacker6, destination: target6, protocolNumber: 58, length: 64, ttl: 64, icmpType: 128))
    }

    @Test func ipv6AtomicFragmentIsAWholePacket() {
        var packet = Golden.ipv6FirstFragment
        packet[43] = 0x00 // offset 0, M clear (RFC 6946)
        let sample = PacketSample.parse(ipPacket: packet)
        #expect(sample?.isFragment == false)
        #expect(sample?.destinationPort == 7000)
    }

    @Test func truncatedCapturesKeepTheHeaderLength() {
        // The fixed IP header alone: lengths and addresses, no transport fields.
        #expect(PacketSample.parse(ipPacket: Array(Golden.ipv4SYN.prefix(20))) == PacketSample(
            source: attacker, destination: target, protocolNumber: 6, length: 60, ttl: 57))
        // Half a TCP header is not read; a whole one is.
        #expect(PacketSample.parse(ipPacket: Array(Golden.ipv4SYN.prefix(33)))?.tcpFlags == nil)
        #expect(PacketSample.parse(ipPacket: Array(Golden.ipv4SYN.prefix(40)))?.tcpFlags == 0x02)
        #expect(PacketSample.parse(ipPacket: Array(Golden.ipv4UDP.prefix(27)))?.sourcePort == nil)
        #expect(PacketSample.parse(ipPacket: Array(Golden.ipv4UDP.prefix(28)))?.sourcePort == 53)
        #expect(PacketSample.parse(ipPacket: Array(Golden.ipv4UDP.prefix(28)))?.length == 68)
        // Cut inside the IPv6 fragment header: the protocol is the header not seen past.
        let cut = PacketSample.parse(ipPacket: Array(Golden.ipv6FirstFragment.prefix(44)))
        #expect(cut == PacketSample(source: attacker6, destination: target6, protocolNumber: 44, length: 76, ttl: 61))
        #expect(PacketSample.parse(ipPacket: Array(Golden.ipv6TCP.prefix(40)))?.protocolNumber == 6)
        // Less than a fixed header is nothing.
        #expect(PacketSample.parse(ipPacket: Array(Golden.ipv4SYN.prefix(19))) == nil)
        #expect(PacketSample.parse(ipPacket: Array(Golden.ipv6TCP.prefix(39))) == nil)
        #expect(PacketSample.parse(ipPacket: []) == nil)
    }

    @Test func inconsistentIPv4HeadersDoNotParse() {
        var shortIHL = Golden.ipv4UDP
        shortIHL[0] = 0x44
        #expect(PacketSample.parse(ipPacket: shortIHL) == nil)
        var shortTotal = Golden.ipv4UDP
        shortTotal[2] = 0; shortTotal[3] = 19
        #expect(PacketSample.parse(ipPacket: shortTotal) == nil)
        var version = Golden.ipv4UDP
        version[0] = 0x55
        #expect(PacketSample.parse(ipPacket: version) == nil)
    }

    @Test func bytesPastTheTotalLengthAreNotTheTransportHeader() {
        // Total length 24 ends inside the UDP header; the capture has more (padding).
        var packet = Golden.ipv4UDP
        packet[3] = 24
        let sample = PacketSample.parse(ipPacket: packet)
        #expect(sample?.length == 24)
        #expect(sample?.sourcePort == nil)
        // Options push the transport header out: IHL 15 is 60 bytes of header.
        var options = Golden.ipv4UDP
        options[0] = 0x4f
        #expect(PacketSample.parse(ipPacket: options)?.sourcePort == 0xabab)
        #expect(PacketSample.parse(ipPacket: Array(options.prefix(60)))?.sourcePort == nil)
    }

    @Test func longExtensionHeaderChainsStopAtTheBound() {
        let count = PacketSample.maximumExtensionHeaders + 1
        var payload: [UInt8] = []
        for index in 0..<count {
            payload += [index == count - 1 ? 17 : 60, 0, 1, 4, 0, 0, 0, 0]
        }
        payload += [0x13, 0x88, 0x17, 0x70, 0, 8, 0, 0]
        var packet = Array(Golden.ipv6TCP.prefix(40))
        packet[4] = UInt8(payload.count >> 8); packet[5] = UInt8(payload.count & 0xff)
        packet[6] = 60
        let sample = PacketSample.parse(ipPacket: packet + payload)
        #expect(sample?.protocolNumber == 60)
        #expect(sample?.destinationPort == nil)
        #expect(sample?.length == UInt16(40 + payload.count))
    }

    /// Seeded mutations of the golden packets and random bytes: never a crash, and whatever
    /// parses is consistent. A failure prints the seed and the input, to keep as a test.
    @Test func fuzzNeverCrashesAndStaysConsistent() {
        let seed = UInt64.random(in: 0..<(1 << 48))
        var random = SeededRandom(state: seed)
        var parsed = 0
        for iteration in 0..<100_000 {
            let input = random.chance(0.8) ? Self.mutate(random.pick(Golden.all), &random) : Self.noise(&random)
            guard let sample = PacketSample.parse(ipPacket: input) else { continue }
            parsed += 1
            if let problem = Self.inconsistency(sample, input) {
                Issue.record("seed \(seed), iteration \(iteration): \(problem)\ninput: \(spaced(input))")
                return
            }
        }
        #expect(parsed > 10_000, "the mutations should mostly keep a parseable header (seed \(seed))")
    }

    static func mutate(_ input: [UInt8], _ random: inout SeededRandom) -> [UInt8] {
        var bytes = input
        for _ in 0..<(1 + random.below(4)) {
            guard !bytes.isEmpty else { break }
            let at = random.below(bytes.count)
            switch random.below(6) {
            case 0: bytes[at] ^= UInt8(1 << random.below(8))
            case 1: bytes[at] = random.pick([0, 1, 4, 5, 6, 17, 43, 44, 51, 58, 60, 0x3f, 0x40, 0x4f, 0x60, 0x7f, 0xff])
            case 2: bytes[at] = UInt8(truncatingIfNeeded: random.next())
            case 3: bytes.removeLast(random.below(bytes.count) + 1)
            case 4: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
            default: bytes.remove(at: at)
            }
        }
        return bytes
    }

    static func noise(_ random: inout SeededRandom) -> [UInt8] {
        var bytes = (0..<random.below(120)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        if !bytes.isEmpty { bytes[0] = random.pick([0x45, 0x4f, 0x60, 0x41]) }
        return bytes
    }

    /// What must hold of any sample, and of the samples of its shorter captures.
    static func inconsistency(_ sample: PacketSample, _ input: [UInt8]) -> String? {
        let icmp: UInt8 = input[0] >> 4 == 4 ? 1 : 58
        if sample.source.isIPv4 != (input[0] >> 4 == 4) || sample.destination.isIPv4 != sample.source.isIPv4 {
            return "address family differs from the IP version: \(sample)"
        }
        if (sample.sourcePort != nil || sample.destinationPort != nil) && ![6, 17].contains(sample.protocolNumber) {
            return "ports for protocol \(sample.protocolNumber): \(sample)"
        }
        if sample.tcpFlags != nil && sample.protocolNumber != 6 { return "TCP flags without TCP: \(sample)" }
        if sample.icmpType != nil && sample.protocolNumber != icmp { return "ICMP type without ICMP: \(sample)" }
        // Cutting the capture never changes the IP header's fields and only takes transport fields away.
        let fixed = input[0] >> 4 == 4 ? 20 : 40
        for length in stride(from: fixed, to: input.count, by: 7) {
            guard let shorter = PacketSample.parse(ipPacket: Array(input.prefix(length))) else {
                return "the first \(length) bytes do not parse"
            }
            if shorter.source != sample.source || shorter.destination != sample.destination
                || shorter.length != sample.length || shorter.ttl != sample.ttl {
                return "the first \(length) bytes give \(shorter), the whole \(sample)"
            }
            if shorter.destinationPort != nil && shorter.destinationPort != sample.destinationPort {
                return "the first \(length) bytes give port \(shorter.destinationPort!), the whole \(sample)"
            }
        }
        return nil
    }
}
