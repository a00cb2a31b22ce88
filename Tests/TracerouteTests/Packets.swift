import MoatModel
import Traceroute
import Tunnels

/// Builders for the answers routers and targets send, to feed the decoder.
enum Packets {
    static let edge: UInt32 = 0x0a00_0102 // 10.0.1.2
    static let target: UInt32 = 0xcb00_710a // 203.0.113.10
    static let router: UInt32 = 0x0a00_0c02 // 10.0.12.2

    static func flow(_ type: TracerouteOptions.PacketType, identifier: UInt16 = 40001) -> TraceFlow {
        TraceFlow(packetType: type, source: edge, destination: target, identifier: identifier,
                  port: type == .udp ? 33434 : 443, sequenceHigh: 0x1234)
    }

    /// An ICMP error from `from` quoting the first `quote` bytes of `probe`.
    static func icmpError(type: UInt8, code: UInt8, from: UInt32, quoting probe: [UInt8], quote: Int = 28, corrupt: Bool = false) -> [UInt8] {
        let quoted = Array(probe.prefix(quote))
        var icmp = [type, code, 0, 0, 0, 0, 0, 0] + quoted
        let checksum = icmp.withUnsafeBytes { internetChecksum($0) }
        icmp[2] = UInt8(checksum >> 8)
        icmp[3] = UInt8(checksum & 0xff) ^ (corrupt ? 1 : 0)
        return ipv4(from: from, to: edge, ipProtocol: IPv4Header.protocolICMP, payload: icmp)
    }

    static func echoReply(from: UInt32, to: UInt32 = edge, identifier: UInt16, sequence: UInt16) -> [UInt8] {
        var icmp: [UInt8] = [0, 0, 0, 0, UInt8(identifier >> 8), UInt8(identifier & 0xff), UInt8(sequence >> 8), UInt8(sequence & 0xff)]
            + [UInt8](repeating: 0x41, count: 12)
        let checksum = icmp.withUnsafeBytes { internetChecksum($0) }
        icmp[2] = UInt8(checksum >> 8)
        icmp[3] = UInt8(checksum & 0xff)
        return ipv4(from: from, to: to, ipProtocol: IPv4Header.protocolICMP, payload: icmp)
    }

    /// A TCP segment from the target to the edge acknowledging `acknowledging`.
    static func tcp(flags: UInt8, from flow: TraceFlow, acknowledging: UInt32) -> [UInt8] {
        var segment = [UInt8](repeating: 0, count: 20)
        segment.withUnsafeMutableBytes { bytes in
            bytes.put16(flow.port, at: 0)
            bytes.put16(flow.identifier, at: 2)
            bytes.put32(0x5555_0000, at: 4)
            bytes.put32(acknowledging &+ 1, at: 8)
            bytes[12] = 0x50
            bytes[13] = flags
            bytes.put16(1000, at: 14)
        }
        let checksum = segment.withUnsafeBytes {
            TraceProbeEncoder.transportChecksum(source: flow.destination, destination: flow.source, ipProtocol: IPv4Header.protocolTCP, segment: $0)
        }
        segment[16] = UInt8(checksum >> 8)
        segment[17] = UInt8(checksum & 0xff)
        guard case .v4(let from) = flow.destination, case .v4(let to) = flow.source else { return segment }
        return ipv4(from: from, to: to, ipProtocol: IPv4Header.protocolTCP, payload: segment)
    }

    static func ipv4(from: UInt32, to: UInt32, ipProtocol: UInt8, payload: [UInt8]) -> [UInt8] {
        var packet = [UInt8](repeating: 0, count: IPv4Header.length) + payload
        packet.withUnsafeMutableBytes { IPv4Header(source: from, destination: to, ipProtocol: ipProtocol, ttl: 60, payloadLength: payload.count).write(to: $0) }
        return packet
    }

    static func parse(_ bytes: [UInt8]) -> TraceReply? {
        bytes.withUnsafeBytes { TraceReply.parse($0) }
    }

    // MARK: GRE

    static let moatEndpoint: UInt32 = 0xc000_0201 // 192.0.2.1
    static let customerEndpoint: UInt32 = 0xc633_6401 // 198.51.100.1
    static let tunnel = TraceTunnel(innerSource: 0x0a64_0000, innerDestination: 0x0a64_0001) // 10.100.0.0/31

    static func greFlow(tag: UInt16 = 5) -> TraceFlow {
        TraceFlow(packetType: .gre, source: moatEndpoint, destination: customerEndpoint, identifier: tag)
    }

    /// The customer router's echo reply to the inner request, encapsulated back to the Moat endpoint.
    static func greEchoReply(identifier: UInt16, sequence: UInt16, from: UInt32 = customerEndpoint) -> [UInt8] {
        let inner = echoReply(from: tunnel.innerDestination, to: tunnel.innerSource, identifier: identifier, sequence: sequence)
        var packet = [UInt8](repeating: 0, count: GREPacket.overhead) + inner
        packet.withUnsafeMutableBytes {
            GREPacket.encapsulate(in: $0, innerLength: inner.count, innerIsIPv6: false, source: from, destination: moatEndpoint, ttl: 60)
        }
        return packet
    }

    // MARK: IPv6

    static let edge6 = IPAddress("2001:db8:1::2")!
    static let target6 = IPAddress("2001:db8:113::10")!
    static let router6 = IPAddress("2001:db8:12::2")!

    static func flow6(_ type: TracerouteOptions.PacketType, identifier: UInt16 = 40001) -> TraceFlow {
        TraceFlow(packetType: type, source: edge6, destination: target6, identifier: identifier,
                  port: type == .udp ? 33434 : 443, sequenceHigh: 0x1234)
    }

    /// An ICMPv6 message (RFC 4443) as a raw socket hands it over: no IPv6 header, checksum set.
    static func icmpv6(type: UInt8, code: UInt8, body: [UInt8], from: IPAddress, to: IPAddress = edge6, corrupt: Bool = false) -> [UInt8] {
        var message = [type, code, 0, 0] + body
        let checksum = message.withUnsafeBytes { TraceProbeEncoder.transportChecksum(source: from, destination: to, ipProtocol: 58, segment: $0) }
        message[2] = UInt8(checksum >> 8)
        message[3] = UInt8(checksum & 0xff) ^ (corrupt ? 1 : 0)
        return message
    }

    /// An ICMPv6 error quoting `probe` (a whole IPv6 packet), after the 4 unused bytes.
    static func icmpv6Error(type: UInt8, code: UInt8, from: IPAddress, quoting probe: [UInt8], quote: Int = 1232, corrupt: Bool = false) -> [UInt8] {
        icmpv6(type: type, code: code, body: [0, 0, 0, 0] + probe.prefix(quote), from: from, corrupt: corrupt)
    }

    static func parse6(_ bytes: [UInt8], ipProtocol: UInt8 = 58, from: IPAddress, to: IPAddress = edge6) -> TraceReply? {
        bytes.withUnsafeBytes { TraceReply.parseIPv6($0, ipProtocol: ipProtocol, source: from, destination: to) }
    }
}
