import MoatModel

extension PacketSample {
    /// Reads a sample from an IP packet as NFLOG hands it over: network header first, cut
    /// after the snaplen. Nil when it is neither IPv4 nor IPv6 or its fixed IP header is not
    /// whole or not consistent (RFC 791 §3.1: IHL at least 5, total length at least the header).
    ///
    /// Lengths come from the IP header, not from the capture. The transport fields (ports,
    /// TCP flags, ICMP type) are read only from a first fragment, and only when the captured
    /// bytes hold the whole fixed transport header (TCP 20, UDP 8, ICMP 4 bytes); a garbled
    /// transport header is still read, since floods are made of such packets. When IPv6
    /// extension headers go past the capture, the protocol is the first header not seen
    /// past, and there are no transport fields.
    package static func parse(ipPacket bytes: UnsafeRawBufferPointer) -> PacketSample? {
        guard let first = bytes.first else { return nil }
        switch first >> 4 {
        case 4: return parseIPv4(bytes)
        case 6: return parseIPv6(bytes)
        default: return nil
        }
    }

    package static func parse(ipPacket bytes: [UInt8]) -> PacketSample? {
        bytes.withUnsafeBytes { parse(ipPacket: $0) }
    }

    /// RFC 791 §3.1.
    private static func parseIPv4(_ bytes: UnsafeRawBufferPointer) -> PacketSample? {
        guard bytes.count >= 20 else { return nil }
        let headerLength = Int(bytes[0] & 0x0f) * 4
        let totalLength = bytes.bigEndian16(at: 2)
        guard headerLength >= 20, Int(totalLength) >= headerLength else { return nil }
        let fragment = bytes.bigEndian16(at: 6)
        let moreFragments = fragment & 0x2000 != 0
        let fragmentOffset = fragment & 0x1fff
        var sample = PacketSample(source: .v4(bytes.bigEndian32(at: 12)), destination: .v4(bytes.bigEndian32(at: 16)),
                                  protocolNumber: bytes[9], length: totalLength, ttl: bytes[8],
                                  isFragment: moreFragments || fragmentOffset != 0)
        // Bytes past the total length (link-layer padding) are not the packet's.
        let end = min(bytes.count, Int(totalLength))
        if fragmentOffset == 0, headerLength <= end {
            sample.readTransport(UnsafeRawBufferPointer(rebasing: bytes[headerLength..<end]), icmp: 1)
        }
        return sample
    }

    /// RFC 8200 §3 and §4: the fixed header, then the extension headers in the order met.
    private static func parseIPv6(_ bytes: UnsafeRawBufferPointer) -> PacketSample? {
        guard bytes.count >= 40 else { return nil }
        let payloadLength = Int(bytes.bigEndian16(at: 4))
        // A jumbogram (RFC 2675) says 0 here; its real length does not fit a UInt16 anyway.
        var sample = PacketSample(source: .v6(bytes.bigEndian128(at: 8)), destination: .v6(bytes.bigEndian128(at: 24)),
                                  protocolNumber: bytes[6], length: UInt16(clamping: 40 + payloadLength), ttl: bytes[7])
        let end = min(bytes.count, 40 + payloadLength)
        var offset = 40
        var nextHeader = bytes[6]
        for _ in 0..<maximumExtensionHeaders {
            sample.protocolNumber = nextHeader
            switch nextHeader {
            case 0, 43, 60: // hop-by-hop options, routing, destination options: (length + 1) × 8 bytes
                guard offset + 2 <= end else { return sample }
                let length = (Int(bytes[offset + 1]) + 1) * 8
                guard offset + length <= end else { return sample }
                nextHeader = bytes[offset]
                offset += length
            case 51: // authentication header (RFC 4302 §2.2): (length + 2) × 4 bytes
                guard offset + 2 <= end else { return sample }
                let length = (Int(bytes[offset + 1]) + 2) * 4
                guard offset + length <= end else { return sample }
                nextHeader = bytes[offset]
                offset += length
            case 44: // fragment (RFC 8200 §4.5): 8 bytes, offset in 8-byte units and the M flag
                guard offset + 8 <= end else { return sample }
                let field = bytes.bigEndian16(at: offset + 2)
                let fragmentOffset = field >> 3
                // RFC 6946: an atomic fragment (offset 0, no M) is a whole packet.
                sample.isFragment = fragmentOffset != 0 || field & 1 != 0
                nextHeader = bytes[offset]
                offset += 8
                if fragmentOffset != 0 {
                    sample.protocolNumber = nextHeader
                    return sample
                }
            default:
                sample.readTransport(UnsafeRawBufferPointer(rebasing: bytes[min(offset, end)..<end]), icmp: 58)
                return sample
            }
        }
        // More extension headers than any real packet carries: the walk stops at the last.
        sample.protocolNumber = nextHeader
        return sample
    }

    /// More than the stack of any real packet (hop-by-hop, destination, routing, fragment,
    /// AH, destination), few enough to bound the work a crafted packet can cause.
    static let maximumExtensionHeaders = 8

    /// Ports and flags from the start of the transport header, when the whole fixed header
    /// was captured.
    private mutating func readTransport(_ transport: UnsafeRawBufferPointer, icmp: UInt8) {
        switch protocolNumber {
        case 6 where transport.count >= 20: // RFC 9293 §3.1: flags in byte 13
            sourcePort = transport.bigEndian16(at: 0)
            destinationPort = transport.bigEndian16(at: 2)
            tcpFlags = transport[13]
        case 17 where transport.count >= 8: // RFC 768
            sourcePort = transport.bigEndian16(at: 0)
            destinationPort = transport.bigEndian16(at: 2)
        case icmp where transport.count >= 4: // RFC 792, RFC 4443 §2.1: type, code, checksum
            icmpType = transport[0]
        default:
            break
        }
    }
}

extension UnsafeRawBufferPointer {
    fileprivate func bigEndian16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    fileprivate func bigEndian32(at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 << 8 | UInt32(self[offset + $1]) }
    }

    fileprivate func bigEndian128(at offset: Int) -> UInt128 {
        (0..<16).reduce(0) { $0 << 8 | UInt128(self[offset + $1]) }
    }
}
