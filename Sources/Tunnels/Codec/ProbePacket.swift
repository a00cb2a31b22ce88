/// The inner packet of a health probe: an ICMP echo (RFC 792) whose payload says which tunnel
/// and which probe it is, and when it was sent.
///
/// Reply style sends an echo *reply* from the target to the edge, so the customer router only
/// forwards it back; request style sends an echo *request* to the target, which answers it.
/// Either way what comes back is an echo reply carrying the same payload.
package struct ProbePacket: Equatable, Sendable {
    package static let magic: UInt32 = 0x4d4f_4154 // "MOAT"
    package static let identifier: UInt16 = 0x4d54
    package static let payloadLength = 20
    package static let length = IPv4Header.length + 8 + payloadLength

    package var source: UInt32
    package var destination: UInt32
    package var isRequest: Bool
    /// The tunnel's probe slot at the sending edge.
    package var slot: UInt32
    package var sequence: UInt32
    /// When the probe was sent, in nanoseconds of the sender's monotonic clock.
    package var sentAt: UInt64

    package init(source: UInt32, destination: UInt32, isRequest: Bool, slot: UInt32, sequence: UInt32, sentAt: UInt64) {
        self.source = source
        self.destination = destination
        self.isRequest = isRequest
        self.slot = slot
        self.sequence = sequence
        self.sentAt = sentAt
    }

    /// Writes the IPv4 packet (`length` bytes) at the start of `buffer`.
    package func write(to buffer: UnsafeMutableRawBufferPointer) {
        IPv4Header(source: source, destination: destination, ipProtocol: IPv4Header.protocolICMP, ttl: 64,
                   payloadLength: 8 + Self.payloadLength).write(to: buffer)
        let icmp = IPv4Header.length
        buffer[icmp] = isRequest ? 8 : 0
        buffer[icmp + 1] = 0
        buffer.put16(0, at: icmp + 2)
        buffer.put16(Self.identifier, at: icmp + 4)
        buffer.put16(UInt16(truncatingIfNeeded: sequence), at: icmp + 6)
        buffer.put32(Self.magic, at: icmp + 8)
        buffer.put32(slot, at: icmp + 12)
        buffer.put32(sequence, at: icmp + 16)
        buffer.put64(sentAt, at: icmp + 20)
        let checksum = internetChecksum(UnsafeRawBufferPointer(rebasing: buffer[icmp..<Self.length]))
        buffer.put16(checksum, at: icmp + 2)
    }

    package var bytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.length)
        bytes.withUnsafeMutableBytes { write(to: $0) }
        return bytes
    }

    /// Reads an IPv4 ICMP echo reply carrying a Moat probe payload; nil for anything else,
    /// including a reply whose ICMP checksum is wrong.
    package static func reply(_ bytes: UnsafeRawBufferPointer) -> ProbePacket? {
        guard let ip = IPv4Header(bytes), ip.ipProtocol == IPv4Header.protocolICMP, ip.fragmentOffset == 0 else { return nil }
        let icmp = ip.headerLength
        guard ip.totalLength - icmp >= 8 + payloadLength, bytes[icmp] == 0, bytes[icmp + 1] == 0,
              bytes.u16(icmp + 4) == identifier, bytes.u32(icmp + 8) == magic else { return nil }
        guard internetChecksum(UnsafeRawBufferPointer(rebasing: bytes[icmp..<ip.totalLength])) == 0 else { return nil }
        return ProbePacket(source: ip.source, destination: ip.destination, isRequest: false, slot: bytes.u32(icmp + 12),
                           sequence: bytes.u32(icmp + 16), sentAt: bytes.u64(icmp + 20))
    }
}
