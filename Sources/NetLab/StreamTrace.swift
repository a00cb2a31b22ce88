/// What a ``StreamReceiver`` saw: one record per datagram, in sequence order, and the
/// questions the tunnel tests ask of it (how long was the stream cut, how often did it move
/// between tunnels, did a flow ever change tunnel).
///
/// Which tunnel carried a datagram is read from its DSCP: the customer side of a
/// ``TunnelLab`` marks what each tunnel delivers with class selector N for tunnel N.
package struct StreamTrace: Sendable {
    package struct Record: Equatable, Sendable {
        package var sequence: Int
        package var sourcePort: Int
        /// The IPv4 TOS byte as received.
        package var tos: Int
        /// Wall clock, nanoseconds since the epoch: when the sender sent it and when it arrived.
        package var sentNanos: Int64
        package var receivedNanos: Int64

        package init(sequence: Int, sourcePort: Int, tos: Int, sentNanos: Int64, receivedNanos: Int64) {
            self.sequence = sequence
            self.sourcePort = sourcePort
            self.tos = tos
            self.sentNanos = sentNanos
            self.receivedNanos = receivedNanos
        }

        /// The tunnel number its DSCP names (class selector N = DSCP 8N = TOS 32N); 0 when unmarked.
        package var tunnel: Int { tos >> 5 }
    }

    /// A stretch of consecutive received datagrams that one tunnel carried.
    package struct Segment: Equatable, Sendable {
        package var tunnel: Int
        package var first: Record
        package var last: Record
        package var count: Int
    }

    /// Datagrams that never arrived between two that did.
    package struct Gap: Equatable, Sendable {
        /// The last datagram before the gap and the first after it.
        package var before: Record
        package var after: Record
        package var missing: Int { after.sequence - before.sequence - 1 }
        /// From sending the last datagram that arrived to sending the next one that did.
        package var seconds: Double { Double(after.sentNanos - before.sentNanos) / 1e9 }
    }

    /// Sorted by sequence number, duplicates dropped.
    package let records: [Record]

    package init(records: [Record]) {
        var seen = Set<Int>()
        self.records = records.sorted { $0.sequence < $1.sequence }.filter { seen.insert($0.sequence).inserted }
    }

    /// Reads the receiver's file: one `seq sport tos sent_ns received_ns` line per datagram.
    package init(parsing text: String) {
        self.init(records: text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 5, let sequence = Int(fields[0]), let port = Int(fields[1]), let tos = Int(fields[2]),
                  let sent = Int64(fields[3]), let received = Int64(fields[4]) else { return nil }
            return Record(sequence: sequence, sourcePort: port, tos: tos, sentNanos: sent, receivedNanos: received)
        })
    }

    /// Maximal runs of datagrams (in sequence order) on one tunnel.
    package var segments: [Segment] {
        var segments: [Segment] = []
        for record in records {
            if let last = segments.indices.last, segments[last].tunnel == record.tunnel {
                segments[last].last = record
                segments[last].count += 1
            } else {
                segments.append(Segment(tunnel: record.tunnel, first: record, last: record, count: 1))
            }
        }
        return segments
    }

    /// How many times the stream moved from one tunnel to another.
    package var switches: Int { max(0, segments.count - 1) }

    /// Gaps with at least one datagram missing, optionally only those whose last datagram
    /// before the gap was sent in `window` (wall clock nanoseconds).
    package func gaps(sentIn window: ClosedRange<Int64>? = nil) -> [Gap] {
        zip(records, records.dropFirst()).compactMap { before, after in
            guard after.sequence > before.sequence + 1 else { return nil }
            if let window, !window.contains(before.sentNanos) { return nil }
            return Gap(before: before, after: after)
        }
    }

    /// The gap that lost the most datagrams, if any was lost.
    package func largestGap(sentIn window: ClosedRange<Int64>? = nil) -> Gap? {
        gaps(sentIn: window).max { $0.missing < $1.missing }
    }

    /// Every source port seen, with the tunnels that carried its datagrams.
    package var tunnelsByFlow: [Int: Set<Int>] {
        records.reduce(into: [:]) { flows, record in flows[record.sourcePort, default: []].insert(record.tunnel) }
    }

    /// The first datagram sent at or after `nanos`, if one arrived.
    package func firstSent(atOrAfter nanos: Int64) -> Record? {
        records.first { $0.sentNanos >= nanos }
    }
}
