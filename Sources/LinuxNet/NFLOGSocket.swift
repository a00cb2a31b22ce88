import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A netlink socket bound to one NFLOG group: each ``receive(pollTimeout:)`` returns the
/// packets that nftables `log group N` rules handed over, decoded by ``NFLOGMessageDecoder``.
///
/// The socket lives in the network namespace of the thread that makes it: make it on a
/// thread inside the namespace (``NetworkNamespace/onThread(in:timeout:_:)``), then read it
/// from one thread of your own. A read waits at most `pollTimeout`, so the reader can check
/// whether to stop. ``statistics`` may be read from any thread. Releasing the socket closes it,
/// and the kernel unbinds the group.
///
/// Needs CAP_NET_ADMIN. One socket per group and namespace: a second bind fails with `EPERM`.
package final class NFLOGSocket: @unchecked Sendable {
    /// Larger than any datagram nfnetlink_log sends: a batch is at most 128 KiB, a single
    /// packet at most 64 KiB plus headers.
    package static let readBufferSize = 256 << 10

    package let fd: Int32
    package let configuration: NFLOGConfiguration
    private let buffer: UnsafeMutableRawBufferPointer
    private let counters = Mutex(NFLOGStatistics())
    /// Packets that arrived while the bind waited for its answer; the first read returns them.
    private var early: [NFLOGPacket] = []

    /// Opens the socket and binds `configuration.group`; waits up to `timeout` for the kernel
    /// to confirm.
    package init(_ configuration: NFLOGConfiguration, timeout: Duration = .seconds(2)) throws(SystemCallError) {
        let fd = socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NFLOGWire.netlinkNetfilter)
        guard fd >= 0 else { throw SystemCallError(call: "socket(AF_NETLINK, NETLINK_NETFILTER)", errno: errno) }
        self.fd = fd
        self.configuration = configuration
        buffer = .allocate(byteCount: Self.readBufferSize, alignment: 8)
        // Fully initialised: from here a throw runs deinit, which closes the socket.
        var size = configuration.receiveBufferSize
        if setsockopt(fd, SOL_SOCKET, NFLOGWire.receiveBufferForce, &size, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            // Without CAP_NET_ADMIN the kernel caps this at net.core.rmem_max.
            _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        try bindLocalAddress()
        try request(NFLOGConfigEncoder.bind(configuration, sequence: 1), sequence: 1,
                    what: "bind NFLOG group \(configuration.group)", timeout: timeout)
    }

    deinit {
        close(fd)
        buffer.deallocate()
    }

    /// Counts so far.
    package var statistics: NFLOGStatistics {
        counters.withLock { $0 }
    }

    /// Reads one datagram and returns its packets: none when nothing arrived within
    /// `pollTimeout` ms, when a signal interrupted the wait, or when the kernel reported that
    /// it dropped messages (`ENOBUFS`, counted in ``statistics``). Messages that do not parse
    /// are counted and skipped. Throws only when the socket itself fails.
    package func receive(pollTimeout: Int32 = 200) throws(SystemCallError) -> [NFLOGPacket] {
        if !early.isEmpty {
            defer { early = [] }
            return early
        }
        guard let datagram = try read(pollTimeout: pollTimeout) else { return [] }
        let errors = datagram.acknowledgements.filter { $0.errno != 0 }.count
        if errors > 0 {
            counters.withLock { $0.kernelErrors += errors }
        }
        return datagram.packets
    }

    /// Poll, then one `recv`; nil when there was nothing to decode.
    private func read(pollTimeout: Int32) throws(SystemCallError) -> NFLOGDatagram? {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, pollTimeout)
        if ready == 0 { return nil }
        if ready < 0 {
            if errno == EINTR { return nil }
            throw SystemCallError(call: "poll (NFLOG group \(configuration.group))", errno: errno)
        }
        // MSG_TRUNC: the answer is the datagram's real length, even when it did not fit.
        let count = recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT) | Int32(MSG_TRUNC))
        if count < 0 {
            switch errno {
            case EINTR, EAGAIN:
                return nil
            case ENOBUFS:
                counters.withLock { $0.overruns += 1 }
                return nil
            case let code:
                throw SystemCallError(call: "recv (NFLOG group \(configuration.group))", errno: code)
            }
        }
        let datagram = NFLOGMessageDecoder.decode(UnsafeRawBufferPointer(rebasing: buffer[..<min(count, buffer.count)]))
        counters.withLock {
            $0.record(datagram)
            if count > buffer.count { $0.truncatedDatagrams += 1 }
        }
        return datagram
    }

    /// `bind` to `sockaddr_nl { AF_NETLINK, pid 0 (the kernel picks), groups 0 }`: nfnetlink_log
    /// sends unicast to the socket that bound the group, not to a multicast group.
    private func bindLocalAddress() throws(SystemCallError) {
        var address = [UInt8](repeating: 0, count: 12)
        withUnsafeBytes(of: UInt16(AF_NETLINK)) { address.replaceSubrange(0..<2, with: $0) }
        let bound = address.withUnsafeBytes {
            bind(fd, $0.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t($0.count))
        }
        guard bound == 0 else { throw SystemCallError(call: "bind (AF_NETLINK)", errno: errno) }
    }

    /// Sends a request and waits for its acknowledgement; packets that come first are kept.
    private func request(_ message: [UInt8], sequence: UInt32, what: String, timeout: Duration) throws(SystemCallError) {
        let sent = message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == message.count else { throw SystemCallError(call: "send (\(what))", errno: sent < 0 ? errno : EIO) }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let datagram = try read(pollTimeout: 50) else { continue }
            early += datagram.packets
            for answer in datagram.acknowledgements {
                guard answer.sequence == sequence else {
                    if answer.errno != 0 { counters.withLock { $0.kernelErrors += 1 } }
                    continue
                }
                guard answer.errno == 0 else {
                    throw SystemCallError(call: what, errno: answer.errno, detail: Self.explain(answer.errno, what: what))
                }
                return
            }
        }
        throw SystemCallError(call: what, errno: ETIMEDOUT, detail: "\(what): nfnetlink_log did not answer within \(timeout)")
    }

    private static func explain(_ code: Int32, what: String) -> String? {
        switch code {
        case EPERM: return "\(what): another socket in this namespace has the group, or CAP_NET_ADMIN is missing"
        case EBUSY: return "\(what): this socket already has the group"
        case EOPNOTSUPP, ENOENT: return "\(what): the kernel has no nfnetlink_log (CONFIG_NETFILTER_NETLINK_LOG)"
        default: return nil
        }
    }
}
