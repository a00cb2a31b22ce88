import DDoS
import LinuxNet
import MoatModel
import NetLab
import Testing

/// Netlink messages as nfnetlink_log sends them, built from the header layout
/// (linux/netlink.h, linux/netfilter/nfnetlink.h, linux/netfilter/nfnetlink_log.h) on a
/// little-endian host: netlink lengths and types in host order, nfnetlink values big-endian.
enum NFLOGBytes {
    static let packetType: UInt16 = 0x0400 // NFNL_SUBSYS_ULOG << 8 | NFULNL_MSG_PACKET

    static func attribute(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
        let length = 4 + value.count
        return le16(UInt16(length)) + le16(type) + value + [UInt8](repeating: 0, count: (4 - length % 4) % 4)
    }

    /// nlmsg_len counts the header and the body; the padding to NLMSG_ALIGN follows it.
    static func message(type: UInt16, flags: UInt16 = 0, sequence: UInt32 = 0, _ body: [UInt8]) -> [UInt8] {
        le32(UInt32(16 + body.count)) + le16(type) + le16(flags) + le32(sequence) + le32(0) + body
            + [UInt8](repeating: 0, count: (4 - body.count % 4) % 4)
    }

    /// nfgenmsg (family, version 0, group big-endian), then the attributes.
    static func packet(family: UInt8 = 2, group: UInt16 = 7, _ attributes: [[UInt8]]) -> [UInt8] {
        message(type: packetType, [family, 0, UInt8(group >> 8), UInt8(group & 0xff)] + attributes.joined())
    }

    static func header(hardwareProtocol: UInt16 = 0x0800, hook: UInt8 = 0) -> [UInt8] {
        attribute(1, [UInt8(hardwareProtocol >> 8), UInt8(hardwareProtocol & 0xff), hook, 0])
    }

    static func payload(_ bytes: [UInt8]) -> [UInt8] { attribute(9, bytes) }
    static func prefix(_ text: String) -> [UInt8] { attribute(10, Array(text.utf8) + [0]) }
    static func sequence(_ value: UInt32) -> [UInt8] { attribute(12, be32(value)) }

    static func done() -> [UInt8] { message(type: 3, flags: 2, [0, 0, 0, 0]) }

    static func error(_ code: Int32, sequence: UInt32) -> [UInt8] {
        message(type: 2, sequence: sequence, withUnsafeBytes(of: code) { Array($0) } + [UInt8](repeating: 0, count: 16))
    }

    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    static func be32(_ value: UInt32) -> [UInt8] { le32(value).reversed() }
}

@Suite struct NFLOGDecoderTests {
    /// One IPv4 UDP packet logged at prerouting by `log prefix "ddos" group 7`, written out.
    static let golden = hex("""
        5000 0000 0004 0000 0000 0000 0000 0000   # nlmsghdr: len 80, type 0x0400 (ULOG packet), flags 0, seq 0, pid 0
        0200 0007                                 # nfgenmsg: AF_INET, version 0, group 7
        0800 0100 0800 0000                       # NFULA_PACKET_HDR: hw_protocol 0x0800, hook 0 (prerouting)
        0900 0a00 6464 6f73 0000 0000             # NFULA_PREFIX: "ddos\\0", 3 bytes of padding
        0800 0c00 0000 0005                       # NFULA_SEQ: 5
        2000 0900                                 # NFULA_PAYLOAD: 28 bytes
        4500 0044 0007 0000 fa11 c261 c000 0235 cb00 710a 0035 80e8 0030 16c7
        """)

    @Test func goldenPacketMessage() {
        let datagram = NFLOGMessageDecoder.decode(Self.golden)
        #expect(datagram.problems == [])
        #expect(datagram.packets == [NFLOGPacket(
            family: 2, group: 7, hardwareProtocol: 0x0800, hook: 0, prefix: "ddos", sequence: 5,
            payload: hex("4500 0044 0007 0000 fa11 c261 c000 0235 cb00 710a 0035 80e8 0030 16c7"))])
    }

    /// What Linux 6.18 sent for `ip daddr 127.0.0.5 udp dport 9 log prefix "ddos" group 7 snaplen 64`
    /// in a namespace's prerouting, after a bind with copy range 64 and `NFULNL_CFG_F_SEQ`,
    /// for a 4-byte datagram sent to 127.0.0.5:9 over loopback.
    static let captured = hex("""
        a400 0000 0004 0000 0000 0000 0000 0000   # nlmsghdr: len 164, ULOG packet
        0200 0007                                 # AF_INET, group 7
        0800 0100 0800 0000                       # NFULA_PACKET_HDR: 0x0800, prerouting
        0900 0a00 6464 6f73 0000 0000             # NFULA_PREFIX "ddos"
        0800 0400 0000 0001                       # NFULA_IFINDEX_INDEV: 1 (lo)
        1000 0800 0006 0000 0000 0000 0000 0000   # NFULA_HWADDR: length 6, zeros
        0600 0f00 0304 0000                       # NFULA_HWTYPE: ARPHRD_LOOPBACK
        0600 1100 000e 0000                       # NFULA_HWLEN: 14
        1200 1000 0000 0000 0000 0000 0000 0000 0800 0000   # NFULA_HWHEADER: 14 bytes
        1400 0300 0000 0000 6b04 96f5 0000 0000 000e 5cde   # NFULA_TIMESTAMP
        0800 0c00 0000 0000                       # NFULA_SEQ: 0
        2400 0900                                 # NFULA_PAYLOAD: 32 bytes
        4500 0020 8d5b 4000 4011 af6b 7f00 0001 7f00 0005 bc0b 0009 000c fe23 6d6f 6174
        """)
    /// The kernel's answer to that bind (sequence 1): NLMSG_ERROR with 0, NLM_F_CAPPED, the request's header.
    static let capturedAcknowledgement = hex("2400000002000001010000002e6500000000000040000000010405000100000000000000")

    @Test func capturedFromTheKernel() {
        let datagram = NFLOGMessageDecoder.decode(Self.captured)
        #expect(datagram.problems == [])
        #expect(datagram.packets.map(\.prefix) == ["ddos"])
        #expect(datagram.packets.map(\.sequence) == [0])
        #expect(datagram.packets.map(\.hardwareProtocol) == [0x0800])
        let sample = datagram.packets.first.flatMap { PacketSample.parse(ipPacket: $0.payload) }
        #expect(sample == PacketSample(source: IPAddress("127.0.0.1")!, destination: IPAddress("127.0.0.5")!, protocolNumber: 17,
                                       length: 32, ttl: 64, sourcePort: 48139, destinationPort: 9))
        #expect(NFLOGMessageDecoder.decode(Self.capturedAcknowledgement).acknowledgements == [NetlinkAcknowledgement(sequence: 1, errno: 0)])
    }

    @Test func builderMatchesTheWrittenOutLayout() {
        let built = NFLOGBytes.packet([NFLOGBytes.header(), NFLOGBytes.prefix("ddos"), NFLOGBytes.sequence(5),
                                       NFLOGBytes.payload(Array(Self.golden[52...]))])
        #expect(built == Self.golden)
    }

    @Test func severalMessagesInOneDatagram() {
        // A batch (queue threshold > 1): packets of both families, closed by NLMSG_DONE.
        let v6 = [UInt8](repeating: 0x60, count: 40)
        let datagram = NFLOGMessageDecoder.decode(
            NFLOGBytes.packet([NFLOGBytes.header(), NFLOGBytes.payload([0x45, 1, 2])])
                + NFLOGBytes.packet(family: 10, [NFLOGBytes.header(hardwareProtocol: 0x86dd), NFLOGBytes.sequence(1), NFLOGBytes.payload(v6)])
                + NFLOGBytes.packet([NFLOGBytes.payload([0x45]), NFLOGBytes.prefix("x"), NFLOGBytes.header(hook: 1)])
                + NFLOGBytes.done())
        #expect(datagram.problems == [])
        #expect(datagram.otherMessages == 1)
        #expect(datagram.packets.map(\.family) == [2, 10, 2])
        #expect(datagram.packets.map(\.payload) == [[0x45, 1, 2], v6, [0x45]])
        #expect(datagram.packets.map(\.hardwareProtocol) == [0x0800, 0x86dd, 0x0800])
        #expect(datagram.packets.map(\.prefix) == [nil, nil, "x"])
        #expect(datagram.packets.map(\.hook) == [0, 0, 1])
    }

    @Test func attributesOfOtherTypesAndByteOrderFlagsAreRead() {
        let datagram = NFLOGMessageDecoder.decode(NFLOGBytes.packet([
            NFLOGBytes.attribute(4, NFLOGBytes.be32(3)),             // NFULA_IFINDEX_INDEV
            NFLOGBytes.attribute(3, [UInt8](repeating: 0, count: 16)), // NFULA_TIMESTAMP
            NFLOGBytes.attribute(1 | 0x4000, [0x86, 0xdd, 0, 0]),    // NFULA_PACKET_HDR with NLA_F_NET_BYTEORDER
            NFLOGBytes.payload([0x60]),
        ]))
        #expect(datagram.problems == [])
        #expect(datagram.packets.first?.hardwareProtocol == 0x86dd)
    }

    @Test func acknowledgementsCarryTheRequestAndThePositiveErrno() {
        let datagram = NFLOGMessageDecoder.decode(NFLOGBytes.error(0, sequence: 1) + NFLOGBytes.error(-1, sequence: 9))
        #expect(datagram.acknowledgements == [NetlinkAcknowledgement(sequence: 1, errno: 0), NetlinkAcknowledgement(sequence: 9, errno: 1)])
        let short = NFLOGMessageDecoder.decode(NFLOGBytes.message(type: 2, [0, 0]))
        #expect(short.problems.map(\.reason) == [.shortMessage])
    }

    @Test func aBadAttributeSkipsItsMessageOnly() {
        let good = NFLOGBytes.packet([NFLOGBytes.header(), NFLOGBytes.payload([0x45])])
        let cases: [([UInt8], NFLOGDecodeProblem.Reason)] = [
            // Attribute length 2: below its own header.
            (NFLOGBytes.packet([NFLOGBytes.header(), NFLOGBytes.le16(2) + NFLOGBytes.le16(9)]), .attributeLength),
            // Attribute length 200 in a message that ends sooner.
            (NFLOGBytes.packet([NFLOGBytes.header(), NFLOGBytes.le16(200) + NFLOGBytes.le16(9) + [1, 2, 3, 4]]), .attributeLength),
            // Two bytes left after the last attribute: a header cut short.
            (NFLOGBytes.packet([NFLOGBytes.header(), NFLOGBytes.payload([0x45]), [0x04, 0x00]]), .attributeLength),
            // NFULA_PACKET_HDR of two bytes.
            (NFLOGBytes.packet([NFLOGBytes.attribute(1, [8, 0]), NFLOGBytes.payload([0x45])]), .attributeSize),
            (NFLOGBytes.packet([NFLOGBytes.header(), NFLOGBytes.attribute(12, [0, 1]), NFLOGBytes.payload([0x45])]), .attributeSize),
            (NFLOGBytes.packet([NFLOGBytes.payload([0x45])]), .missingPacketHeader),
            (NFLOGBytes.packet([NFLOGBytes.header(), NFLOGBytes.prefix("meta only")]), .missingPayload),
            (NFLOGBytes.message(type: NFLOGBytes.packetType, [2, 0]), .shortMessage),
        ]
        for (bad, reason) in cases {
            let datagram = NFLOGMessageDecoder.decode(good + bad + good)
            #expect(datagram.problems.map(\.reason) == [reason], "\(spaced(bad))")
            #expect(datagram.problems.first?.offset == good.count)
            #expect(datagram.packets.count == 2, "the messages around \(reason) still decode")
        }
    }

    @Test func aMessageLengthThatCannotBeTrustedEndsTheDatagram() {
        let good = NFLOGBytes.packet([NFLOGBytes.header(), NFLOGBytes.payload([0x45])])
        for length: UInt32 in [0, 15, 4096] {
            var bad = good
            bad.replaceSubrange(0..<4, with: NFLOGBytes.le32(length))
            let datagram = NFLOGMessageDecoder.decode(good + bad + good)
            #expect(datagram.packets.count == 1, "nlmsg_len \(length)")
            #expect(datagram.problems.map(\.reason) == [.messageLength], "nlmsg_len \(length)")
        }
        // A datagram cut in the middle of its second message (a read buffer too small).
        let cut = NFLOGMessageDecoder.decode(Array((good + good).dropLast(5)))
        #expect(cut.packets.count == 1)
        #expect(cut.problems.map(\.reason) == [.messageLength])
        let trailing = NFLOGMessageDecoder.decode(good + [0, 0, 0])
        #expect(trailing.packets.count == 1)
        #expect(trailing.problems.map(\.reason) == [.trailingBytes])
        #expect(NFLOGMessageDecoder.decode([]) == NFLOGDatagram())
    }

    @Test func statisticsCountLossesFromSequenceGaps() {
        var statistics = NFLOGStatistics()
        func packets(_ sequences: [UInt32]) -> NFLOGDatagram {
            NFLOGDatagram(packets: sequences.map { NFLOGPacket(family: 2, group: 7, hardwareProtocol: 0x0800, sequence: $0, payload: []) })
        }
        statistics.record(packets([0, 1, 2]))
        #expect(statistics.lostPackets == 0)
        statistics.record(packets([5, 6]))
        #expect(statistics.lostPackets == 2)
        statistics.record(NFLOGDatagram(problems: [NFLOGDecodeProblem(.attributeLength, at: 0, "")], otherMessages: 1))
        statistics.record(packets([6, 7])) // a number from the past resynchronises
        #expect(statistics.lostPackets == 2)
        statistics.nextSequence = UInt32.max - 1
        statistics.record(packets([UInt32.max - 1]))
        statistics.record(packets([1])) // wraps: UInt32.max and 0 were lost
        #expect(statistics.lostPackets == 4)
        #expect(statistics.datagrams == 6)
        #expect(statistics.packets == 9)
        #expect(statistics.skippedMessages == 1)
        #expect(statistics.otherMessages == 1)
    }

    @Test func bindRequestLayout() {
        let bytes = NFLOGConfigEncoder.bind(NFLOGConfiguration(group: 7, copyRange: 128), sequence: 1)
        #expect(spaced(bytes) == spaced(hex("""
            4000 0000 0104 0500 0100 0000 0000 0000   # nlmsghdr: len 64, type 0x0401 (ULOG config), REQUEST|ACK, seq 1
            0000 0007                                 # nfgenmsg: AF_UNSPEC, version 0, group 7
            0500 0100 0100 0000                       # NFULA_CFG_CMD: NFULNL_CFG_CMD_BIND, padded
            0a00 0200 0000 0080 0200 0000             # NFULA_CFG_MODE: copy_range 128, NFULNL_COPY_PACKET, padded
            0800 0500 0000 0001                       # NFULA_CFG_QTHRESH: 1
            0800 0400 0000 000a                       # NFULA_CFG_TIMEOUT: 10 hundredths
            0600 0600 0001 0000                       # NFULA_CFG_FLAGS: NFULNL_CFG_F_SEQ, padded
            """)))
        let batched = NFLOGConfigEncoder.bind(NFLOGConfiguration(group: 7, copyRange: 128, queueThreshold: 64), sequence: 2)
        // NFULA_CFG_NLBUFSIZ: room for 64 messages of up to 256 bytes.
        #expect(spaced(batched).contains("08 00 03 00 00 00 40 00"))
        #expect(spaced(NFLOGConfigEncoder.unbind(group: 7, sequence: 3)) == spaced(hex("""
            1c00 0000 0104 0500 0300 0000 0000 0000 0000 0007 0500 0100 0200 0000
            """)))
    }

    /// The decoder faces the kernel, and a fuzzed datagram must come back decoded or counted.
    @Test func fuzzedDatagramsNeverCrashTheDecoder() {
        let seed = UInt64.random(in: 0..<(1 << 48))
        var random = SeededRandom(state: seed)
        let corpus = [
            Self.golden,
            Self.captured,
            NFLOGBytes.packet([NFLOGBytes.header(), NFLOGBytes.payload([0x45, 1, 2])]) + NFLOGBytes.packet([NFLOGBytes.header(), NFLOGBytes.payload([0x60])]) + NFLOGBytes.done(),
            NFLOGBytes.error(-16, sequence: 1) + Self.golden,
        ]
        for iteration in 0..<50_000 {
            var bytes = random.pick(corpus)
            for _ in 0..<(1 + random.below(3)) where !bytes.isEmpty {
                let at = random.below(bytes.count)
                switch random.below(4) {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: random.next())
                case 1: bytes[at] = random.pick([0, 1, 2, 3, 4, 8, 9, 10, 12, 15, 16, 0x40, 0x80, 0xff])
                case 2: bytes.removeLast(random.below(bytes.count) + 1)
                default: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
                }
            }
            let datagram = NFLOGMessageDecoder.decode(bytes)
            // Every message takes at least 16 bytes, and each is a packet, an answer, another message or a problem.
            let accounted = datagram.packets.count + datagram.acknowledgements.count + datagram.otherMessages + datagram.problems.count
            if accounted > bytes.count / 16 + 1 || datagram.packets.contains(where: { $0.payload.count > bytes.count }) {
                Issue.record("seed \(seed), iteration \(iteration): \(accounted) messages from \(bytes.count) bytes: \(spaced(bytes))")
                return
            }
        }
    }
}
