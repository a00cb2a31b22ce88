/// The fields of an IPv4 header Moat reads and writes (RFC 791).
package struct IPv4Header: Equatable, Sendable {
    package static let length = 20
    package static let protocolICMP: UInt8 = 1
    package static let protocolTCP: UInt8 = 6
    package static let protocolUDP: UInt8 = 17
    package static let protocolGRE: UInt8 = 47

    package var headerLength: Int
    package var totalLength: Int
    package var ttl: UInt8
    package var ipProtocol: UInt8
    package var source: UInt32
    package var destination: UInt32
    /// Fragment offset in 8-byte units; non-zero for later fragments.
    package var fragmentOffset: UInt16
    package var moreFragments: Bool

    /// Parses the header at the start of `bytes`; nil when it is not a well-formed IPv4 header
    /// whose total length fits in `bytes`.
    package init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= Self.length, bytes[0] >> 4 == 4 else { return nil }
        headerLength = Int(bytes[0] & 0x0f) * 4
        totalLength = Int(bytes.u16(2))
        guard headerLength >= Self.length, totalLength >= headerLength, totalLength <= bytes.count else { return nil }
        let flags = bytes.u16(6)
        fragmentOffset = flags & 0x1fff
        moreFragments = flags & 0x2000 != 0
        ttl = bytes[8]
        ipProtocol = bytes[9]
        source = bytes.u32(12)
        destination = bytes.u32(16)
    }

    package init(source: UInt32, destination: UInt32, ipProtocol: UInt8, ttl: UInt8, payloadLength: Int) {
        headerLength = Self.length
        totalLength = Self.length + payloadLength
        self.ttl = ttl
        self.ipProtocol = ipProtocol
        self.source = source
        self.destination = destination
        fragmentOffset = 0
        moreFragments = false
    }

    /// Writes a 20-byte header with its checksum at the start of `buffer`.
    package func write(to buffer: UnsafeMutableRawBufferPointer, identification: UInt16 = 0) {
        buffer[0] = 0x45
        buffer[1] = 0
        buffer.put16(UInt16(totalLength), at: 2)
        buffer.put16(identification, at: 4)
        buffer.put16((moreFragments ? 0x2000 : 0) | fragmentOffset, at: 6)
        buffer[8] = ttl
        buffer[9] = ipProtocol
        buffer.put16(0, at: 10)
        buffer.put32(source, at: 12)
        buffer.put32(destination, at: 16)
        let checksum = internetChecksum(UnsafeRawBufferPointer(rebasing: buffer[0..<Self.length]))
        buffer.put16(checksum, at: 10)
    }
}

extension UInt32 {
    /// Dotted-quad text of an IPv4 address in host byte order.
    package var dottedQuad: String { "\(self >> 24).\(self >> 16 & 255).\(self >> 8 & 255).\(self & 255)" }
}
