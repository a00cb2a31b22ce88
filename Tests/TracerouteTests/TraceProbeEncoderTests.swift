import MoatModel
import Testing
import Traceroute
import Tunnels

/// Paris traceroute's promise: what per-flow load balancers hash never changes between the probes
/// of a trace, while each probe still carries its number where an ICMP error quotes it.
@Suite struct TraceProbeEncoderTests {
    static let numbers: [UInt16] = Array(1...640)

    @Test func icmpProbesKeepTheirChecksumAndNumberTheSequence() throws {
        let flow = Packets.flow(.icmp)
        var checksums: Set<UInt16> = []
        for number in Self.numbers {
            let packet = TraceProbeEncoder.probe(flow, number: number, ttl: UInt8(number % 64 + 1))
            try packet.withUnsafeBytes { bytes in
                let ip = try #require(IPv4Header(bytes))
                #expect(ip.ipProtocol == IPv4Header.protocolICMP && ip.ttl == UInt8(number % 64 + 1) && ip.destination == Packets.target)
                #expect(internetChecksum(bytes) == 0, "IP header checksum")
                let icmp = UnsafeRawBufferPointer(rebasing: bytes[20...])
                #expect(icmp[0] == 8 && icmp[1] == 0)
                #expect(internetChecksum(icmp) == 0, "ICMP checksum of probe \(number)")
                #expect(icmp.u16(4) == flow.identifier && icmp.u16(6) == number)
                checksums.insert(icmp.u16(2))
                #expect(bytes.u16(4) == number, "IP ID")
            }
        }
        #expect(checksums.count == 1, "ICMP checksums vary: \(checksums.count) values")
    }

    @Test func udpProbesKeepTheirPortsAndCarryTheNumberInTheChecksum() throws {
        let flow = Packets.flow(.udp)
        for number in Self.numbers {
            let packet = TraceProbeEncoder.probe(flow, number: number, ttl: 3)
            packet.withUnsafeBytes { bytes in
                let udp = UnsafeRawBufferPointer(rebasing: bytes[20...])
                #expect(udp.u16(0) == flow.identifier && udp.u16(2) == 33434)
                #expect(udp.u16(4) == UInt16(udp.count))
                #expect(udp.u16(6) == number, "UDP checksum field of probe \(number)")
                #expect(TraceProbeEncoder.transportChecksum(flow, segment: udp) == 0, "UDP checksum of probe \(number) does not verify")
            }
        }
    }

    @Test func tcpProbesAreSYNsWithConstantPortsAndNumberedSequences() throws {
        let flow = Packets.flow(.tcp)
        for number in Self.numbers {
            let packet = TraceProbeEncoder.probe(flow, number: number, ttl: 9)
            packet.withUnsafeBytes { bytes in
                let tcp = UnsafeRawBufferPointer(rebasing: bytes[20...])
                #expect(tcp.count == 20)
                #expect(tcp.u16(0) == flow.identifier && tcp.u16(2) == 443)
                #expect(tcp.u32(4) == 0x1234_0000 | UInt32(number))
                #expect(tcp[13] == 0x02, "only SYN set")
                #expect(TraceProbeEncoder.transportChecksum(flow, segment: tcp) == 0, "TCP checksum of probe \(number)")
            }
        }
    }
}
