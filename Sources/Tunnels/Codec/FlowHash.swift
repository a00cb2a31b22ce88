import MoatModel

/// A stable hash of an inner packet's flow (addresses, protocol and, for TCP and UDP, ports),
/// so that every packet of a flow takes the same tunnel, in every process and every run.
package enum FlowHash {
    /// ``StableHash`` over the flow fields.
    package static func of(_ packet: UnsafeRawBufferPointer) -> UInt64 {
        guard packet.count >= 1 else { return 0 }
        var hash = StableHash()
        @inline(__always) func mix(_ byte: UInt8) { hash.add(byte) }
        if packet[0] >> 4 == 4, let ip = IPv4Header(packet) {
            for index in 12..<20 { mix(packet[index]) }
            mix(ip.ipProtocol)
            if ip.fragmentOffset == 0, ip.ipProtocol == IPv4Header.protocolTCP || ip.ipProtocol == IPv4Header.protocolUDP,
               ip.totalLength >= ip.headerLength + 4 {
                for index in ip.headerLength..<(ip.headerLength + 4) { mix(packet[index]) }
            }
        } else if packet[0] >> 4 == 6, packet.count >= 40 {
            for index in 8..<40 { mix(packet[index]) }
            let next = packet[6]
            mix(next)
            if next == IPv4Header.protocolTCP || next == IPv4Header.protocolUDP, packet.count >= 44 {
                for index in 40..<44 { mix(packet[index]) }
            }
        }
        return hash.value
    }

    /// The destination address of an inner packet: IPv4 in the low 32 bits, or IPv6.
    package static func destination(_ packet: UnsafeRawBufferPointer) -> (v4: UInt32?, v6: UInt128?) {
        guard packet.count >= 1 else { return (nil, nil) }
        if packet[0] >> 4 == 4, packet.count >= 20 { return (packet.u32(16), nil) }
        if packet[0] >> 4 == 6, packet.count >= 40 { return (nil, UInt128(packet.u64(24)) << 64 | UInt128(packet.u64(32))) }
        return (nil, nil)
    }
}
