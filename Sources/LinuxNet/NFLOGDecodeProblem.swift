/// A message of a datagram that was skipped, and why.
package struct NFLOGDecodeProblem: Error, Hashable, Sendable, CustomStringConvertible {
    package enum Reason: String, Hashable, Sendable, CaseIterable {
        /// `nlmsg_len` is below the header size or past the end of the datagram. Nothing
        /// after it can be found, so the rest of the datagram is skipped with it.
        case messageLength
        /// Bytes after the last message, too few for a netlink header.
        case trailingBytes
        /// A packet or error message too short for its fixed header (`nfgenmsg`, `nlmsgerr`).
        case shortMessage
        /// An attribute whose length is below its header or runs past its message.
        case attributeLength
        /// An attribute shorter than its type requires (`NFULA_PACKET_HDR`, `NFULA_SEQ`).
        case attributeSize
        /// A packet message without `NFULA_PACKET_HDR`.
        case missingPacketHeader
        /// A packet message without `NFULA_PAYLOAD` (the group copies no packet bytes).
        case missingPayload
    }

    package var reason: Reason
    /// Where the skipped message starts in the datagram.
    package var offset: Int
    package var detail: String

    package init(_ reason: Reason, at offset: Int, _ detail: String) {
        self.reason = reason
        self.offset = offset
        self.detail = detail
    }

    package var description: String { "\(reason.rawValue) at byte \(offset): \(detail)" }
}
