import MoatModel
import Testing
import Traceroute
import Tunnels

/// IPv6 probes: a 40-byte header with the hop limit per probe and flow label 0, the same
/// constant-checksum tricks with the IPv6 pseudo-header; answers read from raw ICMPv6 and TCP
/// sockets (no IPv6 header) and matched by the quoted packet.
@Suite struct IPv6ProbeTests {
    static func checkHeader(_ bytes: UnsafeRawBufferPointer, flow: TraceFlow, ttl: UInt8) {
        #expect(bytes.u32(0) == 6 << 28, "version 6, traffic class 0, flow label 0")
        #expect(Int(bytes.u16(4)) == bytes.count - 40 && bytes[6] == flow.ipProtocol && bytes[7] == ttl)
        #expect(Array(bytes[8..<24]) == flow.source.bytes && Array(bytes[24..<40]) == flow.destination.bytes)
    }

    @Test(arguments: [TracerouteOptions.PacketType.icmp, .udp, .tcp])
    func probesKeepTheirFlowAndCarryTheirNumber(_ type: TracerouteOptions.PacketType) {
        let flow = Packets.flow6(type)
        var icmpChecksums: Set<UInt16> = []
        for number in UInt16(1)...640 {
            let ttl = UInt8(number % 64 + 1)
            let packet = TraceProbeEncoder.probe(flow, number: number, ttl: ttl)
            packet.withUnsafeBytes { bytes in
                Self.checkHeader(bytes, flow: flow, ttl: ttl)
                let transport = UnsafeRawBufferPointer(rebasing: bytes[40...])
                #expect(TraceProbeEncoder.transportChecksum(flow, segment: transport) == 0, "\(type) checksum of probe \(number)")
                switch type {
                case .icmp:
                    #expect(transport[0] == 128 && transport.u16(4) == flow.identifier && transport.u16(6) == number)
                    icmpChecksums.insert(transport.u16(2))
                case .udp:
                    #expect(transport.u16(0) == flow.identifier && transport.u16(2) == 33434 && transport.u16(6) == number)
                case .tcp:
                    #expect(transport.u16(2) == 443 && transport.u32(4) == 0x1234_0000 | UInt32(number) && transport[13] == 0x02)
                case .gre:
                    break
                }
            }
        }
        #expect(type != .icmp || icmpChecksums.count == 1, "ICMPv6 checksums vary")
    }

    @Test func answersAreMatchedByTheQuotedProbe() {
        let icmp = Packets.flow6(.icmp)
        let udp = Packets.flow6(.udp)
        let tcp = Packets.flow6(.tcp)
        let icmpProbe = TraceProbeEncoder.probe(icmp, number: 7, ttl: 3)
        let udpProbe = TraceProbeEncoder.probe(udp, number: 8, ttl: 3)
        let tcpProbe = TraceProbeEncoder.probe(tcp, number: 9, ttl: 3)
        let router = Packets.router6
        let target = Packets.target6

        #expect(Packets.parse6(Packets.icmpv6Error(type: 3, code: 0, from: router, quoting: icmpProbe), from: router)
                == TraceReply(kind: .timeExceeded, responder: router, flow: icmp, number: 7))
        #expect(Packets.parse6(Packets.icmpv6Error(type: 3, code: 0, from: router, quoting: udpProbe, quote: 48), from: router)
                == TraceReply(kind: .timeExceeded, responder: router, flow: udp, number: 8), "the header and 8 bytes name the flow")
        #expect(Packets.parse6(Packets.icmpv6Error(type: 3, code: 0, from: router, quoting: tcpProbe), from: router)
                == TraceReply(kind: .timeExceeded, responder: router, flow: tcp, number: 9))
        #expect(Packets.parse6(Packets.icmpv6Error(type: 1, code: 4, from: target, quoting: udpProbe), from: target)
                == TraceReply(kind: .unreachable(code: 4), responder: target, flow: udp, number: 8), "port unreachable ends a UDP trace")
        let echo = Packets.icmpv6(type: 129, code: 0, body: [0x9c, 0x41, 0, 12] + [UInt8](repeating: 0x41, count: 12), from: target)
        #expect(Packets.parse6(echo, from: target) == TraceReply(kind: .echoReply, responder: target, flow: icmp, number: 12))

        var synAck = [UInt8](repeating: 0, count: 20)
        synAck.withUnsafeMutableBytes { bytes in
            bytes.put16(443, at: 0)
            bytes.put16(tcp.identifier, at: 2)
            bytes.put32(0x1234_0005 &+ 1, at: 8)
            bytes[12] = 0x50
            bytes[13] = 0x12
        }
        let checksum = synAck.withUnsafeBytes { TraceProbeEncoder.transportChecksum(source: target, destination: Packets.edge6, ipProtocol: 6, segment: $0) }
        synAck[16] = UInt8(checksum >> 8)
        synAck[17] = UInt8(checksum & 0xff)
        #expect(Packets.parse6(synAck, ipProtocol: 6, from: target) == TraceReply(kind: .synAck, responder: target, flow: tcp, number: 5))

        // Not answers: bad checksum, a quote too short, an echo request, a packet to another address.
        #expect(Packets.parse6(Packets.icmpv6Error(type: 3, code: 0, from: router, quoting: icmpProbe, corrupt: true), from: router) == nil)
        #expect(Packets.parse6(Packets.icmpv6Error(type: 3, code: 0, from: router, quoting: udpProbe, quote: 44), from: router) == nil)
        #expect(Packets.parse6(Packets.icmpv6(type: 128, code: 0, body: [0, 1, 0, 1], from: router), from: router) == nil)
        #expect(Packets.parse6(echo, from: target, to: IPAddress("2001:db8:1::99")!) == nil, "the checksum covers the destination")
    }
}
