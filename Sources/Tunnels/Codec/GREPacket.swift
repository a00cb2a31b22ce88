/// GRE over IPv4 (RFC 2784, with the key and sequence number fields of RFC 2890).
///
/// Moat sends the base header only (4 bytes, no checksum, key or sequence number) and accepts
/// the optional fields from routers that add them. Everything else is dropped with a reason.
package enum GREPacket {
    package static let headerLength = 4
    /// Outer IPv4 header plus the base GRE header: what encapsulation adds.
    package static let overhead = IPv4Header.length + headerLength
    package static let etherTypeIPv4: UInt16 = 0x0800
    package static let etherTypeIPv6: UInt16 = 0x86dd

    /// Why a received packet was not decapsulated. Each reason is counted.
    package enum DropReason: String, CaseIterable, Error, Sendable {
        /// Shorter than the headers it announces.
        case truncated
        /// The outer IPv4 header is malformed, or is not GRE, or is a fragment.
        case badOuterHeader = "bad_outer_header"
        /// Version not 0, or the routing bit or reserved bits set (RFC 2784 §2.3).
        case unsupportedFlags = "unsupported_flags"
        /// The checksum field is present and wrong.
        case badChecksum = "bad_checksum"
        /// Not IPv4 or IPv6 inside.
        case unknownProtocol = "unknown_protocol"
        /// The inner packet is not a well-formed IPv4 or IPv6 packet.
        case badInnerHeader = "bad_inner_header"
        /// No tunnel has these outer addresses.
        case unknownTunnel = "unknown_tunnel"
    }

    /// A decapsulated packet: the outer addresses and where the inner packet lies.
    package struct Decapsulated: Equatable, Sendable {
        package var outerSource: UInt32
        package var outerDestination: UInt32
        package var innerOffset: Int
        package var innerLength: Int
        package var isIPv6: Bool
    }

    /// Parses an IPv4 packet carrying GRE (as read from a raw socket).
    package static func decapsulate(_ bytes: UnsafeRawBufferPointer) -> Result<Decapsulated, DropReason> {
        guard bytes.count >= IPv4Header.length else { return .failure(.truncated) }
        guard let outer = IPv4Header(bytes) else {
            return .failure(bytes[0] >> 4 == 4 && Int(bytes.u16(2)) > bytes.count ? .truncated : .badOuterHeader)
        }
        guard outer.ipProtocol == IPv4Header.protocolGRE, outer.fragmentOffset == 0, !outer.moreFragments else {
            return .failure(.badOuterHeader)
        }
        var offset = outer.headerLength
        let end = outer.totalLength
        guard end - offset >= headerLength else { return .failure(.truncated) }
        let flags = bytes.u16(offset)
        let checksumPresent = flags & 0x8000 != 0
        let keyPresent = flags & 0x2000 != 0
        let sequencePresent = flags & 0x1000 != 0
        // Routing (0x4000), strict source route (0x0800), recursion (0x0700), reserved (0x00f8), version (0x0007).
        guard flags & 0x4fff == 0 else { return .failure(.unsupportedFlags) }
        let etherType = bytes.u16(offset + 2)
        let optional = (checksumPresent ? 4 : 0) + (keyPresent ? 4 : 0) + (sequencePresent ? 4 : 0)
        guard end - offset >= headerLength + optional else { return .failure(.truncated) }
        if checksumPresent {
            let greBytes = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
            guard internetChecksum(greBytes) == 0 else { return .failure(.badChecksum) }
        }
        offset += headerLength + optional
        let innerBytes = UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
        switch etherType {
        case etherTypeIPv4:
            guard let inner = IPv4Header(innerBytes) else { return .failure(.badInnerHeader) }
            return .success(Decapsulated(outerSource: outer.source, outerDestination: outer.destination, innerOffset: offset,
                                         innerLength: inner.totalLength, isIPv6: false))
        case etherTypeIPv6:
            guard innerBytes.count >= 40, innerBytes[0] >> 4 == 6 else { return .failure(.badInnerHeader) }
            let length = 40 + Int(innerBytes.u16(4))
            guard length <= innerBytes.count else { return .failure(.badInnerHeader) }
            return .success(Decapsulated(outerSource: outer.source, outerDestination: outer.destination, innerOffset: offset,
                                         innerLength: length, isIPv6: true))
        default:
            return .failure(.unknownProtocol)
        }
    }

    /// Writes the outer IPv4 header and the GRE header in the `overhead` bytes before an inner
    /// packet of `innerLength` bytes already at `buffer[overhead...]`. Returns the packet length.
    @discardableResult
    package static func encapsulate(in buffer: UnsafeMutableRawBufferPointer, innerLength: Int, innerIsIPv6: Bool,
                                    source: UInt32, destination: UInt32, ttl: UInt8) -> Int {
        let header = IPv4Header(source: source, destination: destination, ipProtocol: IPv4Header.protocolGRE, ttl: ttl,
                                payloadLength: headerLength + innerLength)
        header.write(to: buffer)
        buffer.put16(0, at: IPv4Header.length)
        buffer.put16(innerIsIPv6 ? etherTypeIPv6 : etherTypeIPv4, at: IPv4Header.length + 2)
        return overhead + innerLength
    }
}
