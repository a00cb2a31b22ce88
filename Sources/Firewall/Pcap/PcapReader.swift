/// One captured frame whose link layer carried IP: what `moat firewall test` evaluates.
package struct PcapPacket: Hashable, Sendable {
    /// The frame's number in the file, from 1, counting frames that were skipped (the number
    /// Wireshark and tcpdump show).
    package var index: Int
    /// Seconds since the Unix epoch.
    package var timestamp: Double
    /// The captured bytes from the IP header on (may be shorter than the packet on the wire).
    package var bytes: [UInt8]
}

/// Why a capture file cannot be read, and the byte offset in the file where reading stopped.
///
/// A struct with an open set of codes, like `FirewallError`.
package struct PcapError: Error, Hashable, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The first four bytes are neither a pcap nor a pcapng magic number.
        package static let unknownFormat = Code("unknown_format")
        /// The file ends inside a header, record or block.
        package static let truncated = Code("truncated")
        /// A length or field that no valid file holds.
        package static let malformed = Code("malformed")
        /// A link-layer type the reader does not decode.
        package static let unsupportedLinkType = Code("unsupported_link_type")

        package var description: String { rawValue }
    }

    package var code: Code
    /// Where in the file, in bytes from its start.
    package var offset: Int
    /// A human sentence, without the offset.
    package var message: String

    package init(_ code: Code, at offset: Int, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    package var description: String { "\(message) (at byte offset \(offset)) [\(code)]" }
}

/// Reads the IP packets of a libpcap or pcapng capture held in memory.
///
/// Classic pcap: both byte orders, microsecond (0xA1B2C3D4) and nanosecond (0xA1B23C4D)
/// timestamps. pcapng: Section Header, Interface Description, Enhanced and Simple Packet
/// blocks (and the obsolete Packet Block); other blocks are skipped. Frames of a supported
/// link type that do not carry IPv4 or IPv6 (ARP, LLDP...) are skipped and counted in
/// `skippedFrames`. Every read is bounds-checked: a short or inconsistent file throws a
/// `PcapError` naming the offset, never traps.
package struct PcapReader: Sendable {
    private enum Format: Sendable {
        case pcap(linkType: UInt32, ticksPerSecond: Double)
        case pcapng
    }

    /// A frame before its link-layer header is stripped.
    private struct Frame {
        var linkType: UInt32
        var timestamp: Double
        var data: ArraySlice<UInt8>
    }

    private struct Interface: Sendable {
        var linkType: UInt32
        var snapLength: Int
        var ticksPerSecond: Double
        var offsetSeconds: Double
    }

    private let bytes: [UInt8]
    private let format: Format
    private var bigEndian: Bool
    private var offset: Int
    private var frames = 0
    private var interfaces: [Interface] = []
    /// Frames read so far that carried no IP packet.
    package private(set) var skippedFrames = 0

    /// pcapng's Section Header Block type, which is also the file's magic (a palindrome).
    private static let sectionHeader: UInt32 = 0x0A0D_0D0A
    /// libpcap refuses records larger than this (its MAXIMUM_SNAPLEN); so do we, to tell a
    /// corrupt length from a large packet.
    private static let maximumRecord = 262_144

    /// Reads the file header; throws when the file is not a capture at all.
    package init(bytes: [UInt8]) throws(PcapError) {
        self.bytes = bytes
        guard bytes.count >= 4 else {
            throw PcapError(.truncated, at: 0, "the file is \(bytes.count) bytes long, too short for a capture header")
        }
        let magic = Self.read32(bytes, 0, bigEndian: true)
        switch magic {
        case 0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1:
            bigEndian = magic == 0xA1B2_C3D4 || magic == 0xA1B2_3C4D
            let nanoseconds = magic == 0xA1B2_3C4D || magic == 0x4D3C_B2A1
            guard bytes.count >= 24 else {
                throw PcapError(.truncated, at: bytes.count, "the pcap file header needs 24 bytes; the file has \(bytes.count)")
            }
            // The FCS-length bits share the link-type word (pcap-savefile(5)); keep the type.
            let linkType = Self.read32(bytes, 20, bigEndian: bigEndian) & 0x0FFF_FFFF
            guard LinkLayer(rawValue: linkType) != nil else {
                throw PcapError(.unsupportedLinkType, at: 20, "link type \(linkType) is not supported (Ethernet, raw IP, Linux cooked SLL/SLL2 and BSD loopback are)")
            }
            format = .pcap(linkType: linkType, ticksPerSecond: nanoseconds ? 1e9 : 1e6)
            offset = 24
        case Self.sectionHeader:
            // The byte-order magic of the first section decides; each later section re-decides.
            bigEndian = true
            format = .pcapng
            offset = 0
        default:
            let hex = bytes.prefix(4).map { String($0, radix: 16).leftPadded(to: 2) }.joined()
            throw PcapError(.unknownFormat, at: 0, "not a pcap or pcapng file (magic 0x\(hex))")
        }
    }

    /// Reads every IP packet of `bytes`.
    package static func packets(in bytes: [UInt8]) throws(PcapError) -> [PcapPacket] {
        var reader = try PcapReader(bytes: bytes)
        var packets: [PcapPacket] = []
        while let packet = try reader.next() { packets.append(packet) }
        return packets
    }

    /// The next IP packet, or nil at the end of the file.
    package mutating func next() throws(PcapError) -> PcapPacket? {
        while offset < bytes.count {
            let frame: Frame?
            switch format {
            case .pcap(let linkType, let ticks): frame = try nextRecord(linkType: linkType, ticksPerSecond: ticks)
            case .pcapng: frame = try nextBlock()
            }
            guard let frame else { continue }
            frames += 1
            guard let ip = LinkLayer(rawValue: frame.linkType)?.ipPayload(of: frame.data) else {
                skippedFrames += 1
                continue
            }
            return PcapPacket(index: frames, timestamp: frame.timestamp, bytes: Array(ip))
        }
        return nil
    }

    // MARK: Classic pcap (pcap-savefile(5))

    private mutating func nextRecord(linkType: UInt32, ticksPerSecond: Double) throws(PcapError) -> Frame? {
        let start = offset
        let record = frames + 1
        guard bytes.count - start >= 16 else {
            throw PcapError(.truncated, at: start, "record \(record): the file ends inside its 16-byte header (\(bytes.count - start) bytes left)")
        }
        let seconds = read32(start)
        let fraction = read32(start + 4)
        let captured = Int(read32(start + 8))
        guard captured <= Self.maximumRecord else {
            throw PcapError(.malformed, at: start + 8, "record \(record): captured length \(captured) is larger than any capture holds (\(Self.maximumRecord))")
        }
        guard bytes.count - (start + 16) >= captured else {
            throw PcapError(.truncated, at: start, "record \(record): its header says \(captured) captured bytes but only \(bytes.count - start - 16) remain")
        }
        offset = start + 16 + captured
        return Frame(linkType: linkType, timestamp: Double(seconds) + Double(fraction) / ticksPerSecond, data: bytes[(start + 16)..<offset])
    }

    // MARK: pcapng (draft-ietf-opsawg-pcapng)

    /// Reads one block; answers a frame for packet blocks, nil for the others.
    private mutating func nextBlock() throws(PcapError) -> Frame? {
        let start = offset
        guard bytes.count - start >= 12 else {
            throw PcapError(.truncated, at: start, "the file ends inside a pcapng block header (\(bytes.count - start) bytes left)")
        }
        let type = Self.read32(bytes, start, bigEndian: bigEndian)
        if type == Self.sectionHeader {
            // §4.1: the byte-order magic follows the block type and length.
            switch Self.read32(bytes, start + 8, bigEndian: true) {
            case 0x1A2B_3C4D: bigEndian = true
            case 0x4D3C_2B1A: bigEndian = false
            case let other: throw PcapError(.malformed, at: start + 8, "section header: byte-order magic 0x\(String(other, radix: 16)) is not 0x1a2b3c4d")
            }
            interfaces = []
        }
        let length = Int(read32(start + 4))
        guard length >= 12, length % 4 == 0 else {
            throw PcapError(.malformed, at: start + 4, "block type 0x\(String(type, radix: 16)): total length \(length) is not a multiple of 4 of at least 12")
        }
        guard bytes.count - start >= length else {
            throw PcapError(.truncated, at: start, "block type 0x\(String(type, radix: 16)): its length is \(length) but only \(bytes.count - start) bytes remain")
        }
        guard Int(read32(start + length - 4)) == length else {
            throw PcapError(.malformed, at: start + length - 4, "block type 0x\(String(type, radix: 16)): the trailing length does not repeat the leading \(length)")
        }
        offset = start + length
        let body = (start + 8)..<(start + length - 4)

        switch type {
        case 1: // Interface Description Block, §4.2
            guard body.count >= 8 else { throw PcapError(.malformed, at: start, "interface description block is \(length) bytes, shorter than 20") }
            let linkType = UInt32(read16(body.lowerBound))
            guard LinkLayer(rawValue: linkType) != nil else {
                throw PcapError(.unsupportedLinkType, at: body.lowerBound, "interface \(interfaces.count): link type \(linkType) is not supported (Ethernet, raw IP, Linux cooked SLL/SLL2 and BSD loopback are)")
            }
            var interface = Interface(linkType: linkType, snapLength: Int(read32(body.lowerBound + 4)), ticksPerSecond: 1e6, offsetSeconds: 0)
            try readOptions((body.lowerBound + 8)..<body.upperBound) { code, value throws(PcapError) in
                switch code {
                case 9 where value.count >= 1: // if_tsresol: 10^-n, or 2^-n with the high bit set
                    let exponent = Double(value[value.startIndex] & 0x7F)
                    interface.ticksPerSecond = value[value.startIndex] & 0x80 == 0 ? pow10(exponent) : pow2(exponent)
                case 14 where value.count >= 8: // if_tsoffset, seconds
                    interface.offsetSeconds = Double(Int64(bitPattern: read64(value.startIndex)))
                default: break
                }
            }
            interfaces.append(interface)
            return nil
        case 6, 2: // Enhanced Packet Block §4.3; obsolete Packet Block (2-byte interface ID)
            guard body.count >= 20 else { throw PcapError(.malformed, at: start, "packet block is \(length) bytes, shorter than 32") }
            let id = type == 6 ? Int(read32(body.lowerBound)) : Int(read16(body.lowerBound))
            let timestamp = UInt64(read32(body.lowerBound + 4)) << 32 | UInt64(read32(body.lowerBound + 8))
            let captured = Int(read32(body.lowerBound + 12))
            guard captured <= body.count - 20 else {
                throw PcapError(.malformed, at: body.lowerBound + 12, "packet block: captured length \(captured) does not fit in a \(length)-byte block")
            }
            let interface = try self.interface(id, at: body.lowerBound)
            let data = bytes[(body.lowerBound + 20)..<(body.lowerBound + 20 + captured)]
            return Frame(linkType: interface.linkType, timestamp: Double(timestamp) / interface.ticksPerSecond + interface.offsetSeconds, data: data)
        case 3: // Simple Packet Block §4.4: interface 0, no timestamp
            guard body.count >= 4 else { throw PcapError(.malformed, at: start, "simple packet block is \(length) bytes, shorter than 16") }
            let interface = try self.interface(0, at: start)
            var captured = min(Int(read32(body.lowerBound)), body.count - 4)
            if interface.snapLength > 0 { captured = min(captured, interface.snapLength) }
            return Frame(linkType: interface.linkType, timestamp: 0, data: bytes[(body.lowerBound + 4)..<(body.lowerBound + 4 + captured)])
        default:
            return nil
        }
    }

    private func interface(_ id: Int, at position: Int) throws(PcapError) -> Interface {
        guard id < interfaces.count else {
            throw PcapError(.malformed, at: position, "packet block names interface \(id), but the section describes \(interfaces.count)")
        }
        return interfaces[id]
    }

    /// Walks TLV options (§3.5) until opt_endofopt or the end of the block.
    private func readOptions(_ range: Range<Int>, _ body: (UInt16, ArraySlice<UInt8>) throws(PcapError) -> Void) throws(PcapError) {
        var position = range.lowerBound
        while range.upperBound - position >= 4 {
            let code = read16(position)
            let length = Int(read16(position + 2))
            if code == 0 { return }
            guard range.upperBound - (position + 4) >= length else {
                throw PcapError(.malformed, at: position, "option \(code): length \(length) runs past the end of its block")
            }
            try body(code, bytes[(position + 4)..<(position + 4 + length)])
            position += 4 + (length + 3) / 4 * 4
        }
    }

    // MARK: Bytes; callers check bounds first.

    private func read16(_ at: Int) -> UInt16 {
        let pair = (UInt16(bytes[at]), UInt16(bytes[at + 1]))
        return bigEndian ? pair.0 << 8 | pair.1 : pair.1 << 8 | pair.0
    }

    private func read32(_ at: Int) -> UInt32 { Self.read32(bytes, at, bigEndian: bigEndian) }

    /// A 64-bit value in the section's byte order (not two words high-first, as timestamps are).
    private func read64(_ at: Int) -> UInt64 {
        let first = UInt64(read32(at)), second = UInt64(read32(at + 4))
        return bigEndian ? first << 32 | second : second << 32 | first
    }

    private static func read32(_ bytes: [UInt8], _ at: Int, bigEndian: Bool) -> UInt32 {
        let word = bytes[at..<(at + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return bigEndian ? word : word.byteSwapped
    }
}

/// The link-layer headers the reader strips, one row per LINKTYPE_ value
/// (https://www.tcpdump.org/linktypes.html).
private enum LinkLayer: UInt32 {
    case null = 0
    case ethernet = 1
    case raw = 101
    case linuxSLL = 113
    case ipv4 = 228
    case ipv6 = 229
    case linuxSLL2 = 276

    /// The IP packet inside `frame`, or nil when the frame carries something else.
    func ipPayload(of frame: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let base = frame.startIndex
        func ethertype(at offset: Int) -> Int? {
            guard frame.count >= offset + 2 else { return nil }
            return Int(frame[base + offset]) << 8 | Int(frame[base + offset + 1])
        }
        func ip(_ type: Int?, after header: Int) -> ArraySlice<UInt8>? {
            guard type == 0x0800 || type == 0x86DD, frame.count >= header else { return nil }
            return frame.dropFirst(header)
        }
        switch self {
        case .ethernet:
            // IEEE 802.1Q: up to two tags (802.1ad QinQ outer 0x88A8), 4 bytes each.
            var header = 14
            var type = ethertype(at: 12)
            for _ in 0..<2 where type == 0x8100 || type == 0x88A8 || type == 0x9100 {
                type = ethertype(at: header + 2)
                header += 4
            }
            return ip(type, after: header)
        case .linuxSLL:
            return ip(ethertype(at: 14), after: 16)
        case .linuxSLL2:
            return ip(ethertype(at: 0), after: 20)
        case .null:
            // The address family in the capturing host's byte order: AF_INET 2; AF_INET6 is
            // 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (Darwin).
            guard frame.count >= 4 else { return nil }
            let little = Int(frame[base]) | Int(frame[base + 1]) << 8
            let family = little != 0 ? little : Int(frame[base + 2]) << 8 | Int(frame[base + 3])
            return family == 2 || [10, 24, 28, 30].contains(family) ? frame.dropFirst(4) : nil
        case .raw, .ipv4, .ipv6:
            guard let first = frame.first, first >> 4 == 4 || first >> 4 == 6 else { return nil }
            return frame
        }
    }
}

private func pow10(_ exponent: Double) -> Double {
    (0..<Int(exponent)).reduce(1.0) { product, _ in product * 10 }
}

private func pow2(_ exponent: Double) -> Double {
    (0..<Int(exponent)).reduce(1.0) { product, _ in product * 2 }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
