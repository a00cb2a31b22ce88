#if canImport(Glibc)
import Glibc
#endif

/// Waits on several descriptors at once.
package enum SocketPoll {
    /// The descriptors of `fds` that are readable within `timeout` ms (none on timeout or EINTR).
    package static func readable(_ fds: [Int32], timeout: Int32) throws(SystemCallError) -> [Int32] {
        var entries = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        let ready = poll(&entries, nfds_t(entries.count), timeout)
        if ready < 0 {
            if errno == EINTR { return [] }
            throw SystemCallError(call: "poll", errno: errno)
        }
        return entries.filter { $0.revents & Int16(POLLIN) != 0 }.map(\.fd)
    }
}

/// The source address the kernel would pick for a packet to an IPv4 destination.
package enum RouteSource {
    /// Asks the routing table by connecting a UDP socket (nothing is sent).
    package static func ipv4(toward destination: UInt32) throws(SystemCallError) -> UInt32 {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError(call: "socket(AF_INET, SOCK_DGRAM)", errno: errno) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(33434).bigEndian
        address.sin_addr.s_addr = destination.bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw SystemCallError(call: "connect (route lookup)", errno: errno) }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw SystemCallError(call: "getsockname", errno: errno) }
        return UInt32(bigEndian: local.sin_addr.s_addr)
    }
}
