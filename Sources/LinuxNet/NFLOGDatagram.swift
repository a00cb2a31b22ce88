/// What one netlink datagram held.
package struct NFLOGDatagram: Hashable, Sendable {
    /// The packet messages, in order.
    package var packets: [NFLOGPacket] = []
    /// `NLMSG_ERROR` messages: answers to our requests.
    package var acknowledgements: [NetlinkAcknowledgement] = []
    /// Messages skipped because they do not parse.
    package var problems: [NFLOGDecodeProblem] = []
    /// Well-formed messages that are not packets: `NLMSG_DONE` closing a batch, `NLMSG_NOOP`,
    /// other nfnetlink subsystems.
    package var otherMessages = 0

    package init(packets: [NFLOGPacket] = [], acknowledgements: [NetlinkAcknowledgement] = [],
                 problems: [NFLOGDecodeProblem] = [], otherMessages: Int = 0) {
        self.packets = packets
        self.acknowledgements = acknowledgements
        self.problems = problems
        self.otherMessages = otherMessages
    }
}

/// The answer to a request of ours (`NLMSG_ERROR`): `errno` 0 is a positive acknowledgement.
package struct NetlinkAcknowledgement: Hashable, Sendable {
    /// The `nlmsg_seq` of the request it answers.
    package var sequence: UInt32
    /// The error, as a positive errno; 0 on success.
    package var errno: Int32

    package init(sequence: UInt32, errno: Int32) {
        self.sequence = sequence
        self.errno = errno
    }
}
