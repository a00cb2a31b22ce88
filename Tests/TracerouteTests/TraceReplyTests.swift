import MoatModel
import Testing
import Traceroute
import Tunnels

/// Answers are matched by what they quote or echo; everything else is not an answer.
@Suite struct TraceReplyTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var packet: [UInt8]
        var expected: TraceReply?
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let icmp = Packets.flow(.icmp)
        let udp = Packets.flow(.udp)
        let tcp = Packets.flow(.tcp)
        let icmpProbe = TraceProbeEncoder.probe(icmp, number: 7, ttl: 3)
        let udpProbe = TraceProbeEncoder.probe(udp, number: 8, ttl: 3)
        let tcpProbe = TraceProbeEncoder.probe(tcp, number: 9, ttl: 3)
        return [
            Case(name: "time exceeded quoting an ICMP probe", packet: Packets.icmpError(type: 11, code: 0, from: Packets.router, quoting: icmpProbe),
                 expected: TraceReply(kind: .timeExceeded, responder: Packets.router, flow: icmp, number: 7)),
            Case(name: "time exceeded quoting a UDP probe (RFC 792 minimum quote)", packet: Packets.icmpError(type: 11, code: 0, from: Packets.router, quoting: udpProbe),
                 expected: TraceReply(kind: .timeExceeded, responder: Packets.router, flow: udp, number: 8)),
            Case(name: "time exceeded quoting a whole TCP probe", packet: Packets.icmpError(type: 11, code: 0, from: Packets.router, quoting: tcpProbe, quote: 40),
                 expected: TraceReply(kind: .timeExceeded, responder: Packets.router, flow: tcp, number: 9)),
            Case(name: "port unreachable from the target", packet: Packets.icmpError(type: 3, code: 3, from: Packets.target, quoting: udpProbe),
                 expected: TraceReply(kind: .unreachable(code: 3), responder: Packets.target, flow: udp, number: 8)),
            Case(name: "host unreachable from a router", packet: Packets.icmpError(type: 3, code: 1, from: Packets.router, quoting: icmpProbe),
                 expected: TraceReply(kind: .unreachable(code: 1), responder: Packets.router, flow: icmp, number: 7)),
            Case(name: "echo reply", packet: Packets.echoReply(from: Packets.target, identifier: icmp.identifier, sequence: 12),
                 expected: TraceReply(kind: .echoReply, responder: Packets.target, flow: icmp, number: 12)),
            Case(name: "SYN-ACK", packet: Packets.tcp(flags: 0x12, from: tcp, acknowledging: 0x1234_0005),
                 expected: TraceReply(kind: .synAck, responder: Packets.target, flow: tcp, number: 5)),
            Case(name: "RST-ACK", packet: Packets.tcp(flags: 0x14, from: tcp, acknowledging: 0x1234_0006),
                 expected: TraceReply(kind: .reset, responder: Packets.target, flow: tcp, number: 6)),
            Case(name: "a bare ACK is no answer", packet: Packets.tcp(flags: 0x10, from: tcp, acknowledging: 0x1234_0006), expected: nil),
            Case(name: "bad ICMP checksum", packet: Packets.icmpError(type: 11, code: 0, from: Packets.router, quoting: icmpProbe, corrupt: true), expected: nil),
            Case(name: "quote too short to name the flow", packet: Packets.icmpError(type: 11, code: 0, from: Packets.router, quoting: udpProbe, quote: 24), expected: nil),
            Case(name: "echo request is no answer", packet: Packets.icmpError(type: 8, code: 0, from: Packets.router, quoting: icmpProbe), expected: nil),
            Case(name: "time exceeded in reassembly (code 1)", packet: Packets.icmpError(type: 11, code: 1, from: Packets.router, quoting: icmpProbe), expected: nil),
            Case(name: "quoted echo reply is not a probe", packet: Packets.icmpError(type: 11, code: 0, from: Packets.router,
                                                                                      quoting: Packets.echoReply(from: Packets.edge, identifier: 1, sequence: 1)), expected: nil),
            Case(name: "truncated packet", packet: Array(Packets.echoReply(from: Packets.target, identifier: 1, sequence: 1).prefix(24)), expected: nil),
        ]
    }()

    @Test(arguments: cases) func decodes(_ test: Case) {
        #expect(Packets.parse(test.packet) == test.expected)
    }
}
