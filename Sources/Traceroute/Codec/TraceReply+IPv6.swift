import MoatModel
import Tunnels

extension TraceReply {
    /// Reads what a raw IPv6 socket hands over, an ICMPv6 message or a TCP segment without its
    /// IPv6 header, given the addresses the socket reported (the destination from
    /// `IPV6_PKTINFO`). Nil for anything that cannot answer a probe, including ICMPv6 with a bad
    /// checksum. TCP checksums are the socket's to check (`IPV6_CHECKSUM`): a host on the same
    /// machine (a namespace behind veth) sends its SYN-ACKs and RSTs with a partial checksum for
    /// offload, which only the kernel knows to accept.
    package static func parseIPv6(_ bytes: UnsafeRawBufferPointer, ipProtocol: UInt8, source: IPAddress, destination: IPAddress) -> TraceReply? {
        guard !source.isIPv4, !destination.isIPv4 else { return nil }
        if ipProtocol == TraceProbeEncoder.protocolICMPv6,
           TraceProbeEncoder.transportChecksum(source: source, destination: destination, ipProtocol: ipProtocol, segment: bytes) != 0 {
            return nil
        }
        switch ipProtocol {
        case TraceProbeEncoder.protocolICMPv6: return icmpv6(bytes, source: source, destination: destination)
        case IPv4Header.protocolTCP: return tcpv6(bytes, source: source, destination: destination)
        default: return nil
        }
    }

    /// RFC 4443: echo reply (129), time exceeded in transit (3, code 0), destination unreachable (1).
    static func icmpv6(_ bytes: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress) -> TraceReply? {
        guard bytes.count >= 8 else { return nil }
        let type = bytes[0]
        let code = bytes[1]
        let quote = UnsafeRawBufferPointer(rebasing: bytes[8...])
        switch (type, code) {
        case (129, 0):
            let flow = TraceFlow(packetType: .icmp, source: destination, destination: source, identifier: bytes.u16(4))
            return TraceReply(kind: .echoReply, responder: source, flow: flow, number: bytes.u16(6))
        case (3, 0):
            return quotedIPv6(quote).map { TraceReply(kind: .timeExceeded, responder: source, flow: $0.flow, number: $0.number) }
        case (1, _):
            return quotedIPv6(quote).map { TraceReply(kind: .unreachable(code: code), responder: source, flow: $0.flow, number: $0.number) }
        default:
            return nil
        }
    }

    /// The flow and number of the probe an ICMPv6 error quotes: its IPv6 header (probes carry no
    /// extension headers) and at least 8 bytes after it.
    static func quotedIPv6(_ bytes: UnsafeRawBufferPointer) -> (flow: TraceFlow, number: UInt16)? {
        let header = TraceProbeEncoder.ipv6HeaderLength
        guard bytes.count >= header + 8, bytes[0] >> 4 == 6 else { return nil }
        let source = IPAddress.v6(UInt128(bytes.u64(8)) << 64 | UInt128(bytes.u64(16)))
        let destination = IPAddress.v6(UInt128(bytes.u64(24)) << 64 | UInt128(bytes.u64(32)))
        switch bytes[6] {
        case TraceProbeEncoder.protocolICMPv6, IPv4Header.protocolUDP, IPv4Header.protocolTCP:
            return quotedProbe(bytes, at: header, protocolNumber: bytes[6], echoRequest: 128, source: source, destination: destination)
        default:
            return nil
        }
    }

    static func tcpv6(_ bytes: UnsafeRawBufferPointer, source: IPAddress, destination: IPAddress) -> TraceReply? {
        guard bytes.count >= 20 else { return nil }
        let flags = bytes[13]
        let kind: Kind
        if flags & 0x12 == 0x12 {
            kind = .synAck
        } else if flags & 0x14 == 0x14 {
            kind = .reset
        } else {
            return nil
        }
        let acknowledged = bytes.u32(8) &- 1
        let flow = TraceFlow(packetType: .tcp, source: destination, destination: source, identifier: bytes.u16(2), port: bytes.u16(0),
                             sequenceHigh: UInt16(acknowledged >> 16))
        return TraceReply(kind: kind, responder: source, flow: flow, number: UInt16(truncatingIfNeeded: acknowledged))
    }
}
