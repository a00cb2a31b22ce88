#if canImport(Glibc)
import Glibc
#endif

/// A blocking IPv4 or IPv6 TCP connection with an optional TCP MD5 signature key (RFC 2385),
/// for the BGP speaker: routers commonly require MD5, which no Swift socket library sets.
package final class TCPConnection: @unchecked Sendable {
    package let fd: Int32
    package let remote: SocketAddress

    /// Connects from `local` (when given) to `remote` within `timeout`.
    package init(remote: SocketAddress, local: SocketAddress.Host? = nil, md5Key: String? = nil, timeout: Duration) throws(SystemCallError) {
        let fd = socket(remote.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError(call: "socket(SOCK_STREAM)", errno: errno) }
        do throws(SystemCallError) {
            if let md5Key { try Self.setMD5(fd, peer: remote.host, key: md5Key) }
            if let local {
                let result = SocketAddress(local).withSockaddr { Glibc.bind(fd, $0, $1) }
                guard result == 0 else { throw SystemCallError(call: "bind \(SocketAddress(local))", errno: errno) }
            }
            try Self.connect(fd, remote, timeout: timeout)
        } catch {
            close(fd)
            throw error
        }
        Self.setNoDelay(fd)
        self.fd = fd
        self.remote = remote
    }

    /// Takes over a connection a listener accepted.
    package init(accepted fd: Int32, remote: SocketAddress) {
        Self.setNoDelay(fd)
        self.fd = fd
        self.remote = remote
    }

    /// The address this end of the connection uses.
    package var local: SocketAddress? { SocketAddress.local(of: fd) }

    /// Reads what is there, waiting at most `pollTimeout` ms: nil on timeout, empty at end of stream.
    package func read(into buffer: UnsafeMutableRawBufferPointer, pollTimeout: Int32) throws(SystemCallError) -> Int? {
        try FileDescriptorIO.read(fd, into: buffer, pollTimeout: pollTimeout, call: "recv")
    }

    package func write(_ bytes: [UInt8]) throws(SystemCallError) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                throw SystemCallError(call: "send", errno: errno)
            }
            offset += sent
        }
    }

    deinit { close(fd) }

    private static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// TCP_MD5SIG, and the size of `struct tcp_md5sig` (a sockaddr_storage, flags, prefix
    /// length, key length, padding, 80 bytes of key).
    private static let tcpMD5Sig: Int32 = 14
    private static let md5SigSize = 128 + 1 + 1 + 2 + 4 + 80

    /// Sets (or, with an empty key, removes) the MD5 key for segments to and from `peer`. On a
    /// listening socket this is how a passive peer's key is known before its SYN arrives.
    package static func setMD5(_ fd: Int32, peer: SocketAddress.Host, key: String) throws(SystemCallError) {
        let keyBytes = Array(key.utf8)
        guard keyBytes.count <= 80 else {
            throw SystemCallError(call: "TCP_MD5SIG", errno: EINVAL, detail: "an MD5 key is 1-80 bytes")
        }
        var request = [UInt8](repeating: 0, count: md5SigSize)
        SocketAddress(peer).withSockaddr { address, length in
            let bytes = UnsafeRawBufferPointer(start: address, count: Int(length))
            for (index, byte) in bytes.enumerated() { request[index] = byte }
        }
        request[130] = UInt8(keyBytes.count & 0xff) // tcpm_keylen, little-endian u16
        request[131] = UInt8(keyBytes.count >> 8)
        for (index, byte) in keyBytes.enumerated() { request[136 + index] = byte }
        let result = request.withUnsafeBytes { setsockopt(fd, Int32(IPPROTO_TCP), tcpMD5Sig, $0.baseAddress, socklen_t(md5SigSize)) }
        guard result == 0 else { throw SystemCallError(call: "setsockopt TCP_MD5SIG", errno: errno) }
    }

    private static func connect(_ fd: Int32, _ remote: SocketAddress, timeout: Duration) throws(SystemCallError) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        let result = remote.withSockaddr { Glibc.connect(fd, $0, $1) }
        if result != 0 {
            guard errno == EINPROGRESS else { throw SystemCallError(call: "connect \(remote)", errno: errno) }
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
            guard poll(&entry, 1, milliseconds) == 1 else { throw SystemCallError(call: "connect \(remote)", errno: ETIMEDOUT) }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { throw SystemCallError(call: "connect \(remote)", errno: error) }
        }
        _ = fcntl(fd, F_SETFL, flags)
    }
}
