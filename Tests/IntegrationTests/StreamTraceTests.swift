import NetLab
import Testing

/// The stream analysis the tunnel tests and bench/tunnels rely on: gaps, tunnel switches and flows.
@Suite struct StreamTraceTests {
    /// Datagram `seq`, sent at `seq` ms, carried by `tunnel`.
    static func record(_ seq: Int, tunnel: Int, port: Int = 40000) -> StreamTrace.Record {
        StreamTrace.Record(sequence: seq, sourcePort: port, tos: tunnel << 5, sentNanos: Int64(seq) * 1_000_000,
                           receivedNanos: Int64(seq) * 1_000_000 + 200_000)
    }

    @Test func parsesTheReceiversLinesAndSortsThem() {
        let trace = StreamTrace(parsing: "2 40000 64 2000000 2100000\n0 40000 32 0 100000\nnot a record\n1 40000 32 1000000 1100000\n1 40000 32 1000000 1100000\n")
        #expect(trace.records.map(\.sequence) == [0, 1, 2])
        #expect(trace.records.map(\.tunnel) == [1, 1, 2])
        #expect(trace.records[2].receivedNanos == 2_100_000)
    }

    @Test func segmentsCountSwitchesBetweenTunnels() {
        let trace = StreamTrace(records: (0..<10).map { Self.record($0, tunnel: 1) } + (10..<20).map { Self.record($0, tunnel: 2) }
                                + (20..<25).map { Self.record($0, tunnel: 1) })
        #expect(trace.segments.map(\.tunnel) == [1, 2, 1])
        #expect(trace.segments.map(\.count) == [10, 10, 5])
        #expect(trace.segments[1].first.sequence == 10 && trace.segments[1].last.sequence == 19)
        #expect(trace.switches == 2)
        #expect(StreamTrace(records: []).switches == 0)
    }

    @Test func theLargestGapIsTheLongestRunOfMissingDatagrams() {
        let received = Set(0..<1000).subtracting(100..<103).subtracting(500..<680)
        let trace = StreamTrace(records: received.map { Self.record($0, tunnel: $0 < 600 ? 1 : 2) })
        let gap = trace.largestGap()
        #expect(gap?.before.sequence == 499 && gap?.after.sequence == 680)
        #expect(gap?.missing == 180)
        #expect(gap?.seconds == 0.181)
        #expect(trace.gaps().count == 2)
        // Only gaps that start inside the window.
        #expect(trace.largestGap(sentIn: 0...200_000_000)?.missing == 3)
        #expect(StreamTrace(records: (0..<5).map { Self.record($0, tunnel: 1) }).largestGap() == nil)
    }

    @Test func flowsListEveryTunnelTheyTook() {
        let trace = StreamTrace(records: [Self.record(0, tunnel: 1, port: 20000), Self.record(1, tunnel: 2, port: 20001),
                                          Self.record(2, tunnel: 1, port: 20000), Self.record(3, tunnel: 1, port: 20001)])
        #expect(trace.tunnelsByFlow == [20000: [1], 20001: [1, 2]])
        #expect(trace.firstSent(atOrAfter: 1_500_000)?.sequence == 2)
    }
}
