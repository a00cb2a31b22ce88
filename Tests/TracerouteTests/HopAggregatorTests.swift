import MoatModel
import Testing
import Traceroute

@Suite struct HopAggregatorTests {
    static let ms: UInt64 = 1_000_000

    func probe(_ number: UInt16, ttl: Int, from responder: UInt32?, rtt: UInt64 = 0, kind: TraceReply.Kind = .timeExceeded) -> TraceStateMachine.Probe {
        TraceStateMachine.Probe(number: number, ttl: ttl, sentAt: 0,
                                answer: responder.map { TraceStateMachine.Answer(responder: $0, rttNanos: rtt, kind: kind) }, lost: responder == nil)
    }

    @Test func statisticsPerNode() throws {
        let a: UInt32 = 0x0a00_0001
        let b: UInt32 = 0x0a00_0002
        let hops = HopAggregator.hops([
            probe(1, ttl: 1, from: a, rtt: 1 * Self.ms), probe(2, ttl: 1, from: a, rtt: 2 * Self.ms), probe(3, ttl: 1, from: a, rtt: 3 * Self.ms),
            probe(4, ttl: 2, from: b, rtt: 5 * Self.ms), probe(5, ttl: 2, from: a, rtt: 7 * Self.ms), probe(6, ttl: 2, from: nil),
        ], target: Packets.target)
        #expect(hops.count == 2)
        let first = try #require(hops.first?.nodes.first)
        #expect(hops[0].sent == 3 && hops[0].lost == 0 && hops[0].nodes.count == 1)
        #expect(first.address == .v4(a) && first.answered == 3)
        #expect(first.rttMin == 1 && first.rttMean == 2 && first.rttMax == 3)
        #expect(abs(first.rttStddev - (2.0 / 3).squareRoot()) < 1e-9)
        // Nodes in the order they first answered; one probe lost.
        #expect(hops[1].nodes.map(\.address) == [.v4(b), .v4(a)] && hops[1].lost == 1 && abs(hops[1].loss - 1.0 / 3) < 1e-9)
        #expect(hops[1].nodes.allSatisfy { $0.rttStddev == 0 && !$0.reached })
    }

    @Test func onlyTheTargetsOwnAnswerCountsAsReached() {
        let hops = HopAggregator.hops([
            probe(1, ttl: 1, from: 0x0a00_0001, kind: .unreachable(code: 1)),
            probe(2, ttl: 2, from: Packets.target, kind: .echoReply),
        ], target: Packets.target)
        #expect(hops.map { $0.nodes.map(\.reached) } == [[false], [true]])
    }
}
