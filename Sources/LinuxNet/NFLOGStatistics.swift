/// What an ``NFLOGSocket`` has read so far, and what it lost or skipped: the detector scales
/// its rates by what it did not see, and operators read these as metrics.
package struct NFLOGStatistics: Hashable, Sendable {
    /// Datagrams read.
    package var datagrams = 0
    /// Packets handed to the caller.
    package var packets = 0
    /// Reads that failed with `ENOBUFS`: the receive buffer was full and the kernel dropped
    /// messages for us (how many shows in ``lostPackets``).
    package var overruns = 0
    /// Packets the group numbered but that never reached us: the sum of the gaps in
    /// `NFULA_SEQ`.
    package var lostPackets = 0
    /// Datagrams longer than the read buffer; their tail was cut off (`MSG_TRUNC`).
    package var truncatedDatagrams = 0
    /// Messages skipped because they do not parse, by reason.
    package var problems: [NFLOGDecodeProblem.Reason: Int] = [:]
    /// `NLMSG_ERROR` messages with an error that answered none of our requests.
    package var kernelErrors = 0
    /// Well-formed messages that are not packets (`NLMSG_DONE` after a batch, among others).
    package var otherMessages = 0
    /// The `NFULA_SEQ` expected next. The group's numbering starts at 0 when we bind it.
    package var nextSequence: UInt32 = 0

    package init() {}

    /// All skipped messages, whatever the reason.
    package var skippedMessages: Int { problems.values.reduce(0, +) }

    /// Counts one decoded datagram. Acknowledgements are left to the caller, which knows which
    /// requests it made.
    package mutating func record(_ datagram: NFLOGDatagram) {
        datagrams += 1
        packets += datagram.packets.count
        otherMessages += datagram.otherMessages
        for problem in datagram.problems {
            problems[problem.reason, default: 0] += 1
        }
        for sequence in datagram.packets.compactMap(\.sequence) {
            recordSequence(sequence)
        }
    }

    /// A jump forward is a loss. A number from the past (only after 2³¹ losses in a row,
    /// or if the kernel renumbered) just resynchronises.
    mutating func recordSequence(_ sequence: UInt32) {
        let gap = sequence &- nextSequence
        if gap < 1 << 31 {
            lostPackets += Int(gap)
        }
        nextSequence = sequence &+ 1
    }
}
