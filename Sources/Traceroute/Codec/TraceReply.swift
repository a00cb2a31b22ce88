import MoatModel
import Tunnels

/// An answer to a probe, read from a raw ICMP, TCP or GRE socket (IPv4), or a raw ICMPv6 or TCP
/// socket (IPv6, see `TraceReply+IPv6.swift`): who answered, how, and which flow and probe number
/// it answers (from the quoted packet, or from the echoed fields).
package struct TraceReply: Equatable, Sendable {
    package enum Kind: Equatable, Sendable {
        /// ICMP time exceeded in transit (type 11 code 0): a router on the way.
        case timeExceeded
        /// ICMP destination unreachable (type 3) with its code: 3 (port) from the target ends a
        /// UDP trace; the others (!N, !H, !X) end the trace where they come from. For IPv6, ICMPv6
        /// destination unreachable (type 1) with its own codes (RFC 4443 §3.1: 4 is port unreachable).
        case unreachable(code: UInt8)
        /// ICMP echo reply: the target, in ICMP mode; in GRE mode the customer router's answer to
        /// the inner echo request, come back through the tunnel.
        case echoReply
        /// TCP SYN-ACK: the target's port is open.
        case synAck
        /// TCP RST: the target's port is closed.
        case reset

        /// Whether probes with larger TTLs are pointless after this answer.
        package var endsTrace: Bool { self != .timeExceeded }

        /// Whether this answer, from the target, means the trace reached it. For `gre` only the
        /// echo reply through the tunnel does: a customer endpoint that says protocol unreachable
        /// is up but terminates no tunnel.
        package func reaches(for packetType: TracerouteOptions.PacketType) -> Bool {
            packetType == .gre ? self == .echoReply : endsTrace
        }
    }

    package var kind: Kind
    /// The answering address.
    package var responder: IPAddress
    /// The probe's flow as the answer shows it.
    package var flow: TraceFlow
    package var number: UInt16

    package init(kind: Kind, responder: IPAddress, flow: TraceFlow, number: UInt16) {
        self.kind = kind
        self.responder = responder
        self.flow = flow
        self.number = number
    }

    /// An answer from an IPv4 address (host byte order).
    package init(kind: Kind, responder: UInt32, flow: TraceFlow, number: UInt16) {
        self.init(kind: kind, responder: .v4(responder), flow: flow, number: number)
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
        case IPv4Header.protocolGRE: return gre(packet)
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

    /// The flow and number of an ICMP echo, UDP or TCP probe from the first 8 bytes of its
    /// transport header at `transport` (both families: only the echo request's type differs).
    static func quotedProbe(_ bytes: UnsafeRawBufferPointer, at transport: Int, protocolNumber: UInt8, echoRequest: UInt8,
                            source: IPAddress, destination: IPAddress) -> (flow: TraceFlow, number: UInt16)? {
        switch protocolNumber {
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
            guard bytes[transport] == echoRequest else { return nil }
            return (TraceFlow(packetType: .icmp, source: source, destination: destination, identifier: bytes.u16(transport + 4)),
                    bytes.u16(transport + 6))
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
        case IPv4Header.protocolICMP, IPv4Header.protocolUDP, IPv4Header.protocolTCP:
            return quotedProbe(bytes, at: transport, protocolNumber: bytes[9], echoRequest: 8, source: .v4(source), destination: .v4(destination))
        case IPv4Header.protocolGRE:
            // Only the outer header names the probe: tag and number ride in its identification.
            let identification = bytes.u16(4)
            let number = identification & (1 << TraceProbeEncoder.greNumberBits - 1)
            guard bytes.u16(transport) & 0x4fff == 0, bytes.u16(transport + 2) == GREPacket.etherTypeIPv4, number != 0 else { return nil }
            return (TraceFlow(packetType: .gre, source: source, destination: destination,
                              identifier: identification >> TraceProbeEncoder.greNumberBits), number)
        default:
            return nil
        }
    }

    /// A GRE packet from a customer endpoint: the answer to a GRE probe is the customer router's
    /// echo reply to the inner echo request, encapsulated back through the tunnel.
    static func gre(_ bytes: UnsafeRawBufferPointer) -> TraceReply? {
        guard case .success(let packet) = GREPacket.decapsulate(bytes), !packet.isIPv6 else { return nil }
        let inner = UnsafeRawBufferPointer(rebasing: bytes[packet.innerOffset..<(packet.innerOffset + packet.innerLength)])
        guard let ip = IPv4Header(inner), ip.ipProtocol == IPv4Header.protocolICMP, ip.fragmentOffset == 0, !ip.moreFragments,
              let echo = icmp(UnsafeRawBufferPointer(rebasing: inner[0..<ip.totalLength]), ip), echo.kind == .echoReply else { return nil }
        let flow = TraceFlow(packetType: .gre, source: packet.outerDestination, destination: packet.outerSource, identifier: echo.flow.identifier)
        return TraceReply(kind: .echoReply, responder: packet.outerSource, flow: flow, number: echo.number)
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
