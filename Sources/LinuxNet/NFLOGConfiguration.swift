/// How an ``NFLOGSocket`` asks nfnetlink_log to deliver one group.
package struct NFLOGConfiguration: Hashable, Sendable {
    /// The group of the nftables rules (`log group N`).
    package var group: UInt16
    /// Bytes of each packet to copy, from its network header (`NFULA_CFG_MODE`). A rule's
    /// `snaplen` lowers it for that rule; 0 means the kernel's maximum.
    package var copyRange: UInt32
    /// Packets the kernel gathers into one datagram before it sends (`NFULA_CFG_QTHRESH`).
    /// 1 sends each packet at once; more saves system calls under load.
    package var queueThreshold: UInt32
    /// The longest a gathered packet waits for the datagram to fill (`NFULA_CFG_TIMEOUT`,
    /// kept in hundredths of a second). Only matters with a queue threshold above 1.
    package var flushTimeout: Duration
    /// The socket's receive buffer (`SO_RCVBUFFORCE`, else `SO_RCVBUF` up to `rmem_max`):
    /// what absorbs a burst while the reader is busy. Past it the kernel drops messages and
    /// the next read reports `ENOBUFS`.
    package var receiveBufferSize: Int32

    package init(group: UInt16, copyRange: UInt32 = 128, queueThreshold: UInt32 = 1,
                 flushTimeout: Duration = .milliseconds(100), receiveBufferSize: Int32 = 4 << 20) {
        self.group = group
        self.copyRange = copyRange
        self.queueThreshold = queueThreshold
        self.flushTimeout = flushTimeout
        self.receiveBufferSize = receiveBufferSize
    }

    /// `NFULA_CFG_TIMEOUT`: hundredths of a second, at least 1.
    var flushTimeoutHundredths: UInt32 {
        let (seconds, attoseconds) = flushTimeout.components
        let hundredths = seconds * 100 + attoseconds / 10_000_000_000_000_000
        return UInt32(clamping: max(1, hundredths))
    }

    /// `NFULA_CFG_NLBUFSIZ` when batching: room for `queueThreshold` messages. The kernel's
    /// default (about a page) is right for one message at a time, and a larger buffer would
    /// be allocated, and charged to our receive buffer, for every single message.
    var batchBufferSize: UInt32? {
        guard queueThreshold > 1 else { return nil }
        // Headers and attributes of one message take under 128 bytes besides the copy.
        let perMessage = UInt64(copyRange == 0 ? 65_535 : copyRange) + 128
        let wanted = UInt64(queueThreshold) * perMessage
        return UInt32(min(UInt64(NFLOGWire.maximumBufferSize), max(8_192, wanted)))
    }
}
