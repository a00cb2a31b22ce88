import Tunnels

/// An answer to a probe, read from a raw ICMP or TCP socket: who answered, how, and which flow and
/// probe number it answers (from the quoted packet, or from the echoed fields).
package struct TraceReply: Equatable, Sendable {
    package enum Kind: Equatable, Sendable {
        /// ICMP time exceeded in transit (type 11 code 0): a router on the way.
        case timeExceeded
        /// ICMP destination unreachable (type 3) with its code: 3 (port) from the target ends a
        /// UDP trace; the others (!N, !H, !X) end the trace where they come from.
        case unreachable(code: UInt8)
        /// ICMP echo reply: the target, in ICMP mode.
        case echoReply
        /// TCP SYN-ACK: the target's port is open.
        case synAck
        /// TCP RST: the target's port is closed.
        case reset

        /// Whether probes with larger TTLs are pointless after this answer.
        package var endsTrace: Bool { self != .timeExceeded }
    }

    package var kind: Kind
    /// The answering address (host byte order).
    package var responder: UInt32
    /// The probe's flow as the answer shows it.
    package var flow: TraceFlow
    package var number: UInt16

    package init(kind: Kind, responder: UInt32, flow: TraceFlow, number: UInt16) {
        self.kind = kind
        self.responder = responder
        self.flow = flow
        self.number = number
    }

    /// Reads an IPv4 packet as a raw socket hands it over; nil for anything that cannot be an
    /// answer to a probe (other ICMP types, TCP without SYN-ACK or RST, bad checksums, fragments,
    /// quotes too short to name a flow).
    package static func parse(_ bytes: UnsafeRawBufferPointer) -> TraceReply? {
        guard let ip = IPv4Header(bytes), ip.fragmentOffset == 0, !ip.moreFragments else { return nil }
        let packet = UnsafeRawBufferPointer(rebasing: bytes[0..<ip.totalLength])
        switch ip.ipProtocol {
        case IPv4Header.protocolICMP: return icmp(packet, ip)
        case IPv4Header.protocolTCP: return tcp(packet, ip)
        default: return nil
        }
    }

    static func icmp(_ bytes: UnsafeRawBufferPointer, _ ip: IPv4Header) -> TraceReply? {
        let start = ip.headerLength
        guard bytes.count - start >= 8, internetChecksum(UnsafeRawBufferPointer(rebasing: bytes[start...])) == 0 else { return nil }
        let type = bytes[start]
        let code = bytes[start + 1]
        switch (type, code) {
        case (0, 0):
            let flow = TraceFlow(packetType: .icmp, source: ip.destination, destination: ip.source, identifier: bytes.u16(start + 4))
            return TraceReply(kind: .echoReply, responder: ip.source, flow: flow, number: bytes.u16(start + 6))
        case (11, 0):
            return quoted(UnsafeRawBufferPointer(rebasing: bytes[(start + 8)...])).map {
                TraceReply(kind: .timeExceeded, responder: ip.source, flow: $0.flow, number: $0.number)
            }
        case (3, _):
            return quoted(UnsafeRawBufferPointer(rebasing: bytes[(start + 8)...])).map {
                TraceReply(kind: .unreachable(code: code), responder: ip.source, flow: $0.flow, number: $0.number)
            }
        default:
            return nil
        }
    }

    /// The flow and number of the probe an ICMP error quotes: its IP header and first 8 bytes.
    static func quoted(_ bytes: UnsafeRawBufferPointer) -> (flow: TraceFlow, number: UInt16)? {
        guard bytes.count >= IPv4Header.length, bytes[0] >> 4 == 4 else { return nil }
        let headerLength = Int(bytes[0] & 0x0f) * 4
        guard headerLength >= IPv4Header.length, bytes.count >= headerLength + 8 else { return nil }
        let source = bytes.u32(12)
        let destination = bytes.u32(16)
        let transport = headerLength
        switch bytes[9] {
        case IPv4Header.protocolICMP:
            guard bytes[transport] == 8 else { return nil }
            return (TraceFlow(packetType: .icmp, source: source, destination: destination, identifier: bytes.u16(transport + 4)),
                    bytes.u16(transport + 6))
        case IPv4Header.protocolUDP:
            return (TraceFlow(packetType: .udp, source: source, destination: destination, identifier: bytes.u16(transport),
                              port: bytes.u16(transport + 2)),
                    bytes.u16(transport + 6))
        case IPv4Header.protocolTCP:
            let sequence = bytes.u32(transport + 4)
            return (TraceFlow(packetType: .tcp, source: source, destination: destination, identifier: bytes.u16(transport),
                              port: bytes.u16(transport + 2), sequenceHigh: UInt16(sequence >> 16)),
                    UInt16(truncatingIfNeeded: sequence))
        default:
            return nil
        }
    }

    static func tcp(_ bytes: UnsafeRawBufferPointer, _ ip: IPv4Header) -> TraceReply? {
        let start = ip.headerLength
        guard bytes.count - start >= 20 else { return nil }
        let segment = UnsafeRawBufferPointer(rebasing: bytes[start...])
        guard TraceProbeEncoder.transportChecksum(source: ip.source, destination: ip.destination, ipProtocol: IPv4Header.protocolTCP,
                                                  segment: segment) == 0 else { return nil }
        let flags = bytes[start + 13]
        let kind: Kind
        if flags & 0x12 == 0x12 {
            kind = .synAck
        } else if flags & 0x14 == 0x14 {
            kind = .reset
        } else {
            return nil
        }
        // Both acknowledge the SYN's sequence number plus one.
        let acknowledged = bytes.u32(start + 8) &- 1
        let flow = TraceFlow(packetType: .tcp, source: ip.destination, destination: ip.source, identifier: bytes.u16(start + 2),
                             port: bytes.u16(start), sequenceHigh: UInt16(acknowledged >> 16))
        return TraceReply(kind: kind, responder: ip.source, flow: flow, number: UInt16(truncatingIfNeeded: acknowledged))
    }
}
