import Tunnels

/// Builds the probes of a trace: whole IPv4 packets for a raw socket with `IP_HDRINCL`.
///
/// Each probe carries its number (1...65535) where an ICMP error quotes it (RFC 792: the IP
/// header and the first 8 bytes of the datagram) and where the target's answer echoes it, while
/// the flow's hashed fields stay constant:
///
/// - ICMP echo: identifier constant, sequence = number, and a payload word that is the sequence's
///   ones' complement, so the ICMP checksum is the same in every probe;
/// - UDP: both ports constant; the UDP checksum *is* the number, reached by choosing a payload word;
/// - TCP SYN: both ports constant; sequence = `sequenceHigh` << 16 | number (a SYN-ACK or RST
///   acknowledges it plus one).
///
/// The IP identification is the number too, for eyes reading a capture.
package enum TraceProbeEncoder {
    /// Payload after the ICMP/UDP header: the compensating word, then a marker.
    static let marker: [UInt8] = Array("MOAT-TRACE".utf8)
    package static let payloadLength = 2 + marker.count
    static let tcpHeaderLength = 20
    static let tcpWindow: UInt16 = 64240

    package static func probe(_ flow: TraceFlow, number: UInt16, ttl: UInt8) -> [UInt8] {
        precondition(number != 0, "probe numbers start at 1: a UDP checksum of 0 means none")
        let transportLength = flow.packetType == .tcp ? tcpHeaderLength : 8 + payloadLength
        var packet = [UInt8](repeating: 0, count: IPv4Header.length + transportLength)
        packet.withUnsafeMutableBytes { buffer in
            IPv4Header(source: flow.source, destination: flow.destination, ipProtocol: flow.ipProtocol, ttl: ttl,
                       payloadLength: transportLength).write(to: buffer, identification: number)
            let start = IPv4Header.length
            switch flow.packetType {
            case .icmp: writeEcho(flow, number, into: buffer, at: start)
            case .udp: writeUDP(flow, number, into: buffer, at: start, length: transportLength)
            case .tcp: writeSYN(flow, number, into: buffer, at: start)
            }
        }
        return packet
    }

    static func writeEcho(_ flow: TraceFlow, _ number: UInt16, into buffer: UnsafeMutableRawBufferPointer, at start: Int) {
        buffer[start] = 8
        buffer[start + 1] = 0
        buffer.put16(flow.identifier, at: start + 4)
        buffer.put16(number, at: start + 6)
        buffer.put16(~number, at: start + 8)
        for (index, byte) in marker.enumerated() { buffer[start + 10 + index] = byte }
        let checksum = internetChecksum(UnsafeRawBufferPointer(rebasing: buffer[start...]))
        buffer.put16(checksum, at: start + 2)
    }

    static func writeUDP(_ flow: TraceFlow, _ number: UInt16, into buffer: UnsafeMutableRawBufferPointer, at start: Int, length: Int) {
        buffer.put16(flow.identifier, at: start)
        buffer.put16(flow.port, at: start + 2)
        buffer.put16(UInt16(length), at: start + 4)
        for (index, byte) in marker.enumerated() { buffer[start + 10 + index] = byte }
        // The segment's sum with checksum and payload word still 0; then the word that makes the
        // whole sum, checksum field included, verify (0xffff) with the field set to `number`.
        let partial = ~transportChecksum(flow, segment: UnsafeRawBufferPointer(rebasing: buffer[start...]))
        buffer.put16(~onesComplementAdd(partial, number), at: start + 8)
        buffer.put16(number, at: start + 6)
    }

    static func writeSYN(_ flow: TraceFlow, _ number: UInt16, into buffer: UnsafeMutableRawBufferPointer, at start: Int) {
        buffer.put16(flow.identifier, at: start)
        buffer.put16(flow.port, at: start + 2)
        buffer.put32(UInt32(flow.sequenceHigh) << 16 | UInt32(number), at: start + 4)
        buffer[start + 12] = UInt8(tcpHeaderLength / 4) << 4
        buffer[start + 13] = 0x02 // SYN
        buffer.put16(tcpWindow, at: start + 14)
        let checksum = transportChecksum(flow, segment: UnsafeRawBufferPointer(rebasing: buffer[start...]))
        buffer.put16(checksum, at: start + 16)
    }

    /// The UDP/TCP checksum over the pseudo-header (RFC 768, RFC 9293 §3.1) and `segment`.
    package static func transportChecksum(_ flow: TraceFlow, segment: UnsafeRawBufferPointer) -> UInt16 {
        transportChecksum(source: flow.source, destination: flow.destination, ipProtocol: flow.ipProtocol, segment: segment)
    }

    package static func transportChecksum(source: UInt32, destination: UInt32, ipProtocol: UInt8, segment: UnsafeRawBufferPointer) -> UInt16 {
        var bytes = [UInt8](repeating: 0, count: 12)
        bytes.withUnsafeMutableBytes { pseudo in
            pseudo.put32(source, at: 0)
            pseudo.put32(destination, at: 4)
            pseudo[9] = ipProtocol
            pseudo.put16(UInt16(segment.count), at: 10)
        }
        bytes += segment
        return bytes.withUnsafeBytes { internetChecksum($0) }
    }

    static func onesComplementAdd(_ a: UInt16, _ b: UInt16) -> UInt16 {
        let sum = UInt32(a) + UInt32(b)
        return UInt16(truncatingIfNeeded: (sum & 0xffff) + (sum >> 16))
    }
}
