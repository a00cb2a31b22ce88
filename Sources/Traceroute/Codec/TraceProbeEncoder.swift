import MoatModel
import Tunnels

/// Builds the probes of a trace: whole IPv4 or IPv6 packets for a raw socket that takes the
/// header from the caller (`IP_HDRINCL`; an IPv6 `IPPROTO_RAW` socket always does).
///
/// Each probe carries its number (1...65535) where an ICMP error quotes it (RFC 792: the IP
/// header and the first 8 bytes of the datagram; RFC 4443 §3: as much as fits in 1280 bytes)
/// and where the target's answer echoes it, while the flow's hashed fields stay constant:
///
/// - ICMP/ICMPv6 echo: identifier constant, sequence = number, and a payload word that is the
///   sequence's ones' complement, so the checksum is the same in every probe;
/// - UDP: both ports constant; the UDP checksum *is* the number, reached by choosing a payload word;
/// - TCP SYN: both ports constant; sequence = `sequenceHigh` << 16 | number (a SYN-ACK or RST
///   acknowledges it plus one);
/// - GRE (IPv4 only): the outer packet goes from the tunnel's Moat endpoint to its customer
///   endpoint with the probe's TTL; the GRE header (RFC 2784, no key, no sequence number) and the
///   inner ICMP echo request (``TraceTunnel``) keep their bytes constant but for the echo's
///   sequence and payload word, so the inner checksum stays constant too. Routers quote only the
///   outer header and 8 bytes of GRE and inner header, so the number (and the trace's tag in the
///   top bits) rides in the outer IP identification; the customer router's echo reply carries
///   tag and number as identifier and sequence.
///
/// IPv4 probes also carry the number in the IP identification, for eyes reading a capture.
/// IPv6 probes have flow label 0 and traffic class 0.
package enum TraceProbeEncoder {
    package static let protocolICMPv6: UInt8 = 58
    package static let ipv6HeaderLength = 40
    /// GRE traces put `tag << greNumberBits | number` in the outer IP identification.
    package static let greNumberBits = 10
    package static let greTags: UInt16 = 1 << (16 - greNumberBits)
    /// Payload after the ICMP/UDP header: the compensating word, then a marker.
    static let marker: [UInt8] = Array("MOAT-TRACE".utf8)
    package static let payloadLength = 2 + marker.count
    static let tcpHeaderLength = 20
    static let tcpWindow: UInt16 = 64240
    static let innerTTL: UInt8 = 64

    package static func probe(_ flow: TraceFlow, number: UInt16, ttl: UInt8, tunnel: TraceTunnel? = nil) -> [UInt8] {
        precondition(number != 0, "probe numbers start at 1: a UDP checksum of 0 means none")
        if flow.packetType == .gre {
            guard let tunnel, case .v4(let source) = flow.source, case .v4(let destination) = flow.destination else {
                preconditionFailure("a GRE probe needs IPv4 endpoints and the tunnel's inside addresses")
            }
            return greProbe(flow, source: source, destination: destination, tunnel: tunnel, number: number, ttl: ttl)
        }
        let transportLength = flow.packetType == .tcp ? tcpHeaderLength : 8 + payloadLength
        let headerLength = flow.isIPv6 ? ipv6HeaderLength : IPv4Header.length
        var packet = [UInt8](repeating: 0, count: headerLength + transportLength)
        packet.withUnsafeMutableBytes { buffer in
            switch (flow.source, flow.destination) {
            case (.v4(let source), .v4(let destination)):
                IPv4Header(source: source, destination: destination, ipProtocol: flow.ipProtocol, ttl: ttl,
                           payloadLength: transportLength).write(to: buffer, identification: number)
            default:
                writeIPv6Header(source: flow.source, destination: flow.destination, nextHeader: flow.ipProtocol, hopLimit: ttl,
                                payloadLength: transportLength, into: buffer)
            }
            let transport = UnsafeMutableRawBufferPointer(rebasing: buffer[headerLength...])
            switch flow.packetType {
            case .icmp: writeEcho(flow, number, into: transport)
            case .udp: writeUDP(flow, number, into: transport)
            case .tcp: writeSYN(flow, number, into: transport)
            case .gre: break
            }
        }
        return packet
    }

    static func greProbe(_ flow: TraceFlow, source: UInt32, destination: UInt32, tunnel: TraceTunnel, number: UInt16, ttl: UInt8) -> [UInt8] {
        precondition(number < 1 << greNumberBits && flow.identifier < greTags, "GRE probe \(number) or tag \(flow.identifier) out of range")
        let echoLength = 8 + payloadLength
        let innerLength = IPv4Header.length + echoLength
        var packet = [UInt8](repeating: 0, count: GREPacket.overhead + innerLength)
        packet.withUnsafeMutableBytes { buffer in
            let inner = UnsafeMutableRawBufferPointer(rebasing: buffer[GREPacket.overhead...])
            IPv4Header(source: tunnel.innerSource, destination: tunnel.innerDestination, ipProtocol: IPv4Header.protocolICMP, ttl: innerTTL,
                       payloadLength: echoLength).write(to: inner)
            let inside = TraceFlow(packetType: .icmp, source: tunnel.innerSource, destination: tunnel.innerDestination, identifier: flow.identifier)
            writeEcho(inside, number, into: UnsafeMutableRawBufferPointer(rebasing: inner[IPv4Header.length...]))
            IPv4Header(source: source, destination: destination, ipProtocol: IPv4Header.protocolGRE, ttl: ttl,
                       payloadLength: GREPacket.headerLength + innerLength)
                .write(to: buffer, identification: flow.identifier << greNumberBits | number)
            buffer.put16(0, at: IPv4Header.length) // no checksum, key or sequence number; version 0
            buffer.put16(GREPacket.etherTypeIPv4, at: IPv4Header.length + 2)
        }
        return packet
    }

    /// RFC 8200 §3: version 6, traffic class 0, flow label 0.
    static func writeIPv6Header(source: IPAddress, destination: IPAddress, nextHeader: UInt8, hopLimit: UInt8, payloadLength: Int,
                                into buffer: UnsafeMutableRawBufferPointer) {
        buffer.put32(6 << 28, at: 0)
        buffer.put16(UInt16(payloadLength), at: 4)
        buffer[6] = nextHeader
        buffer[7] = hopLimit
        for (index, byte) in (source.bytes + destination.bytes).enumerated() { buffer[8 + index] = byte }
    }

    /// An echo request (ICMP type 8, ICMPv6 type 128) at the start of `buffer`.
    static func writeEcho(_ flow: TraceFlow, _ number: UInt16, into buffer: UnsafeMutableRawBufferPointer) {
        buffer[0] = flow.isIPv6 ? 128 : 8
        buffer[1] = 0
        buffer.put16(flow.identifier, at: 4)
        buffer.put16(number, at: 6)
        buffer.put16(~number, at: 8)
        for (index, byte) in marker.enumerated() { buffer[10 + index] = byte }
        // RFC 4443 §2.3: the ICMPv6 checksum covers the pseudo-header; ICMP's does not.
        let checksum = flow.isIPv6 ? transportChecksum(flow, segment: UnsafeRawBufferPointer(buffer)) : internetChecksum(UnsafeRawBufferPointer(buffer))
        buffer.put16(checksum, at: 2)
    }

    static func writeUDP(_ flow: TraceFlow, _ number: UInt16, into buffer: UnsafeMutableRawBufferPointer) {
        buffer.put16(flow.identifier, at: 0)
        buffer.put16(flow.port, at: 2)
        buffer.put16(UInt16(buffer.count), at: 4)
        for (index, byte) in marker.enumerated() { buffer[10 + index] = byte }
        // The segment's sum with checksum and payload word still 0; then the word that makes the
        // whole sum, checksum field included, verify (0xffff) with the field set to `number`.
        let partial = ~transportChecksum(flow, segment: UnsafeRawBufferPointer(buffer))
        buffer.put16(~onesComplementAdd(partial, number), at: 8)
        buffer.put16(number, at: 6)
    }

    static func writeSYN(_ flow: TraceFlow, _ number: UInt16, into buffer: UnsafeMutableRawBufferPointer) {
        buffer.put16(flow.identifier, at: 0)
        buffer.put16(flow.port, at: 2)
        buffer.put32(UInt32(flow.sequenceHigh) << 16 | UInt32(number), at: 4)
        buffer[12] = UInt8(tcpHeaderLength / 4) << 4
        buffer[13] = 0x02 // SYN
        buffer.put16(tcpWindow, at: 14)
        let checksum = transportChecksum(flow, segment: UnsafeRawBufferPointer(buffer))
        buffer.put16(checksum, at: 16)
    }

    /// The flow's UDP/TCP (or ICMPv6) checksum over the pseudo-header and `segment`.
    package static func transportChecksum(_ flow: TraceFlow, segment: UnsafeRawBufferPointer) -> UInt16 {
        transportChecksum(source: flow.source, destination: flow.destination, ipProtocol: flow.ipProtocol, segment: segment)
    }

    /// The checksum over the pseudo-header of the addresses' family (RFC 768 and RFC 9293 §3.1
    /// for IPv4, RFC 8200 §8.1 for IPv6) and `segment`.
    package static func transportChecksum(source: IPAddress, destination: IPAddress, ipProtocol: UInt8, segment: UnsafeRawBufferPointer) -> UInt16 {
        var bytes = source.bytes + destination.bytes
        if source.isIPv4 {
            bytes += [0, ipProtocol, UInt8(segment.count >> 8), UInt8(truncatingIfNeeded: segment.count)]
        } else {
            bytes += [UInt8(segment.count >> 24), UInt8(truncatingIfNeeded: segment.count >> 16), UInt8(truncatingIfNeeded: segment.count >> 8),
                      UInt8(truncatingIfNeeded: segment.count), 0, 0, 0, ipProtocol]
        }
        bytes += segment
        return bytes.withUnsafeBytes { internetChecksum($0) }
    }

    package static func transportChecksum(source: UInt32, destination: UInt32, ipProtocol: UInt8, segment: UnsafeRawBufferPointer) -> UInt16 {
        transportChecksum(source: .v4(source), destination: .v4(destination), ipProtocol: ipProtocol, segment: segment)
    }

    static func onesComplementAdd(_ a: UInt16, _ b: UInt16) -> UInt16 {
        let sum = UInt32(a) + UInt32(b)
        return UInt16(truncatingIfNeeded: (sum & 0xffff) + (sum >> 16))
    }
}
