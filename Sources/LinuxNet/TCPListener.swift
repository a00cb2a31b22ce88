#if canImport(Glibc)
import Glibc
#endif

/// A listening TCP socket for one address family, for peers that connect to us (passive BGP
/// peers). MD5 keys are set per peer on the listening socket, so the kernel checks a peer's
/// SYN before any connection exists; a connection from a peer without a matching key never
/// reaches `accept`.
package final class TCPListener: @unchecked Sendable {
    package let fd: Int32
    package let address: SocketAddress

    package init(address: SocketAddress, backlog: Int32 = 16) throws(SystemCallError) {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError(call: "socket(SOCK_STREAM)", errno: errno) }
        var one: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if address.family == AF_INET6 {
            _ = setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = address.withSockaddr { Glibc.bind(fd, $0, $1) }
        guard bound == 0 else {
            let error = errno
            close(fd)
            throw SystemCallError(call: "bind \(address)", errno: error)
        }
        guard listen(fd, backlog) == 0 else {
            let error = errno
            close(fd)
            throw SystemCallError(call: "listen \(address)", errno: error)
        }
        self.fd = fd
        self.address = address
    }

    /// Sets or replaces the MD5 key expected from `peer`; an empty key removes it.
    package func setMD5(peer: SocketAddress.Host, key: String) throws(SystemCallError) {
        try TCPConnection.setMD5(fd, peer: peer, key: key)
    }

    /// The next connection, waiting at most `pollTimeout` ms; nil on timeout.
    package func accept(pollTimeout: Int32) throws(SystemCallError) -> TCPConnection? {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, pollTimeout)
        if ready == 0 { return nil }
        if ready < 0 {
            if errno == EINTR { return nil }
            throw SystemCallError(call: "poll (accept)", errno: errno)
        }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let client = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.accept(fd, $0, &length) }
        }
        if client < 0 {
            if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { return nil }
            throw SystemCallError(call: "accept", errno: errno)
        }
        _ = fcntl(client, F_SETFD, FD_CLOEXEC)
        guard let remote = withUnsafeBytes(of: &storage, { SocketAddress($0.baseAddress!) }) else {
            close(client)
            return nil
        }
        return TCPConnection(accepted: client, remote: remote)
    }

    deinit { close(fd) }
}
