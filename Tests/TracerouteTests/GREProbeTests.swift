import MoatModel
import Testing
import Traceroute
import Tunnels

/// GRE traces: an outer packet from the Moat endpoint to the customer endpoint, numbered in its
/// IP identification (the only place RFC 792's short quote keeps), with constant GRE and inner
/// bytes that load balancers might hash; answered by time exceeded quoting the outer packet and
/// by the customer router's echo reply through the tunnel.
@Suite struct GREProbeTests {
    @Test func probesAreGREFromTheMoatEndpointWithAConstantInsideAndTheNumberInTheOuterID() throws {
        let flow = Packets.greFlow(tag: 5)
        var greAndInner: Set<[UInt8]> = []
        var innerChecksums: Set<UInt16> = []
        for number in UInt16(1)...640 {
            let packet = TraceProbeEncoder.probe(flow, number: number, ttl: UInt8(number % 64 + 1), tunnel: Packets.tunnel)
            try packet.withUnsafeBytes { bytes in
                let outer = try #require(IPv4Header(bytes))
                #expect(outer.ipProtocol == IPv4Header.protocolGRE && outer.source == Packets.moatEndpoint
                        && outer.destination == Packets.customerEndpoint && outer.ttl == UInt8(number % 64 + 1))
                #expect(internetChecksum(UnsafeRawBufferPointer(rebasing: bytes[0..<20])) == 0, "outer header checksum")
                #expect(bytes.u16(4) == 5 << 10 | number, "outer IP ID: tag and number")
                guard case .success(let inside) = GREPacket.decapsulate(bytes) else {
                    Issue.record("probe \(number) does not decapsulate")
                    return
                }
                let inner = UnsafeRawBufferPointer(rebasing: bytes[inside.innerOffset..<(inside.innerOffset + inside.innerLength)])
                let ip = try #require(IPv4Header(inner))
                #expect(ip.source == Packets.tunnel.innerSource && ip.destination == Packets.tunnel.innerDestination && ip.ipProtocol == 1)
                let echo = UnsafeRawBufferPointer(rebasing: inner[20...])
                #expect(echo[0] == 8 && echo.u16(4) == 5 && echo.u16(6) == number && internetChecksum(echo) == 0)
                innerChecksums.insert(echo.u16(2))
                // Everything a balancer might hash past the outer header: GRE and inner IP header.
                greAndInner.insert(Array(bytes[20..<(20 + 4 + 20)]))
            }
        }
        #expect(innerChecksums.count == 1 && greAndInner.count == 1)
    }

    @Test func timeExceededQuotingTheOuterPacketAndTheTunnelsEchoReplyAnswerIt() {
        let flow = Packets.greFlow(tag: 5)
        let probe = TraceProbeEncoder.probe(flow, number: 17, ttl: 4, tunnel: Packets.tunnel)
        // RFC 792's minimum quote: the outer header, then GRE and the inner header's first 4 bytes.
        let quoted = Packets.icmpError(type: 11, code: 0, from: Packets.router, quoting: probe, quote: 28)
        #expect(Packets.parse(quoted) == TraceReply(kind: .timeExceeded, responder: Packets.router, flow: flow, number: 17))
        let whole = Packets.icmpError(type: 11, code: 0, from: Packets.router, quoting: probe, quote: probe.count)
        #expect(Packets.parse(whole) == TraceReply(kind: .timeExceeded, responder: Packets.router, flow: flow, number: 17))
        // A customer endpoint without GRE says protocol unreachable: the endpoint, but no tunnel.
        let noGRE = Packets.icmpError(type: 3, code: 2, from: Packets.customerEndpoint, quoting: probe)
        #expect(Packets.parse(noGRE) == TraceReply(kind: .unreachable(code: 2), responder: Packets.customerEndpoint, flow: flow, number: 17))

        let reply = Packets.greEchoReply(identifier: 5, sequence: 17)
        #expect(Packets.parse(reply) == TraceReply(kind: .echoReply, responder: Packets.customerEndpoint, flow: flow, number: 17))
        // Another trace's tag is another flow; a reply from elsewhere is another tunnel.
        #expect(Packets.parse(Packets.greEchoReply(identifier: 6, sequence: 17))?.flow != flow)
        #expect(Packets.parse(Packets.greEchoReply(identifier: 5, sequence: 17, from: Packets.target))?.flow != flow)
        // Bare (not encapsulated) echo replies belong to ICMP traces, never to this one.
        #expect(Packets.parse(Packets.echoReply(from: Packets.customerEndpoint, identifier: 5, sequence: 17))?.flow.packetType == .icmp)
    }

    @Test func tagsOfTracesThatRunTogetherDiffer() {
        let flows = (0..<Int(TraceProbeEncoder.greTags)).map { _ in
            TraceRunner.greFlow(moatEndpoint: Packets.moatEndpoint, customerEndpoint: Packets.customerEndpoint)
        }
        #expect(Set(flows.map(\.identifier)).count == Int(TraceProbeEncoder.greTags))
        #expect(flows.allSatisfy { $0.identifier < TraceProbeEncoder.greTags && $0.port == 0 })
    }
}
