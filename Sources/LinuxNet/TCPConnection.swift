#if canImport(Glibc)
import Glibc
#endif

/// A blocking IPv4 TCP connection with an optional TCP MD5 signature key (RFC 2385), for the
/// BGP speaker: routers commonly require MD5, which no Swift socket library sets.
package final class TCPConnection: @unchecked Sendable {
    package let fd: Int32

    /// TCP_MD5SIG, and the size of `struct tcp_md5sig` (a sockaddr_storage, flags, prefix
    /// length, key length, padding, 80 bytes of key).
    private static let tcpMD5Sig: Int32 = 14
    private static let md5SigSize = 128 + 1 + 1 + 2 + 4 + 80

    /// Connects from `local` (when given) to `remote`:`port` within `timeout`.
    package init(remote: UInt32, port: UInt16, local: UInt32? = nil, md5Key: String? = nil, timeout: Duration) throws(SystemCallError) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError(call: "socket(AF_INET, SOCK_STREAM)", errno: errno) }
        do {
            if let md5Key { try Self.setMD5(fd, peer: remote, key: md5Key) }
            if let local { try Self.bind(fd, local) }
            try Self.connect(fd, remote, port, timeout: timeout)
        } catch {
            close(fd)
            throw error
        }
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
    }

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

    private static func sockaddr(_ address: UInt32, _ port: UInt16) -> sockaddr_in {
        var value = sockaddr_in()
        value.sin_family = sa_family_t(AF_INET)
        value.sin_port = port.bigEndian
        value.sin_addr.s_addr = address.bigEndian
        return value
    }

    private static func setMD5(_ fd: Int32, peer: UInt32, key: String) throws(SystemCallError) {
        let keyBytes = Array(key.utf8)
        guard !keyBytes.isEmpty, keyBytes.count <= 80 else {
            throw SystemCallError(call: "TCP_MD5SIG", errno: EINVAL, detail: "an MD5 key is 1-80 bytes")
        }
        var request = [UInt8](repeating: 0, count: md5SigSize)
        var address = sockaddr(peer, 0)
        withUnsafeBytes(of: &address) { for (index, byte) in $0.enumerated() { request[index] = byte } }
        request[130] = UInt8(keyBytes.count & 0xff) // tcpm_keylen, little-endian u16
        request[131] = UInt8(keyBytes.count >> 8)
        for (index, byte) in keyBytes.enumerated() { request[136 + index] = byte }
        let result = request.withUnsafeBytes { setsockopt(fd, Int32(IPPROTO_TCP), tcpMD5Sig, $0.baseAddress, socklen_t(md5SigSize)) }
        guard result == 0 else { throw SystemCallError(call: "setsockopt TCP_MD5SIG", errno: errno) }
    }

    private static func bind(_ fd: Int32, _ local: UInt32) throws(SystemCallError) {
        var address = sockaddr(local, 0)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw SystemCallError(call: "bind", errno: errno) }
    }

    private static func connect(_ fd: Int32, _ remote: UInt32, _ port: UInt16, timeout: Duration) throws(SystemCallError) {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var address = sockaddr(remote, port)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: Glibc.sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if result != 0 {
            guard errno == EINPROGRESS else { throw SystemCallError(call: "connect", errno: errno) }
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let milliseconds = Int32(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
            guard poll(&entry, 1, milliseconds) == 1 else { throw SystemCallError(call: "connect", errno: ETIMEDOUT) }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else { throw SystemCallError(call: "connect", errno: error) }
        }
        _ = fcntl(fd, F_SETFL, flags)
    }
}
