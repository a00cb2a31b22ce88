import Foundation
import LinuxNet
import NetLab

#if canImport(Glibc)
import Glibc
#endif

/// Packets from the sender namespace of an ``NFLOGKernelLab``, every loop bounded in count
/// and time.
struct NFLOGKernelTraffic {
    let lab: NFLOGKernelLab

    /// Sends `count` datagrams of `size` bytes to `address`:`port` with TTL (hop limit) `ttl`,
    /// from one socket; returns its source port. Larger than the MTU, they leave in fragments.
    @discardableResult
    func udp(to address: String, port: UInt16, count: Int, size: Int, ttl: Int32) throws -> UInt16 {
        let ipv6 = address.contains(":")
        let fd = try lab.senderSocket(family: ipv6 ? AF_INET6 : AF_INET, type: Int32(SOCK_DGRAM.rawValue))
        defer { close(fd) }
        var hops = ttl
        var dont = Int32(IP_PMTUDISC_DONT)
        if ipv6 {
            try check(setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_UNICAST_HOPS, &hops, 4), "IPV6_UNICAST_HOPS")
        } else {
            try check(setsockopt(fd, Int32(IPPROTO_IP), IP_TTL, &hops, 4), "IP_TTL")
            // Not DF: the kernel fragments a datagram larger than the MTU itself.
            try check(setsockopt(fd, Int32(IPPROTO_IP), IP_MTU_DISCOVER, &dont, 4), "IP_MTU_DISCOVER")
        }
        let payload = [UInt8](repeating: 0x5a, count: size)
        let deadline = ContinuousClock.now + .seconds(10)
        for _ in 0..<count {
            try send(fd, payload, to: address, port: port, until: deadline)
        }
        return try localPort(fd)
    }

    /// Starts a TCP connection to a closed port: one SYN, answered by a reset. Returns the
    /// source port.
    func tcpSYN(to address: String, port: UInt16) throws -> UInt16 {
        let fd = try lab.senderSocket(family: address.contains(":") ? AF_INET6 : AF_INET,
                                      type: Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue))
        defer { close(fd) }
        let result = Self.withAddress(address, port: port) { connect(fd, $0, $1) }
        guard result == 0 || errno == EINPROGRESS else { throw SystemCallError(call: "connect \(address):\(port)", errno: errno) }
        let source = try localPort(fd)
        usleep(100_000)
        return source
    }

    func ping(_ address: String, count: Int) throws {
        try lab.lab.exec(in: lab.senderNamespace, ["ping", "-n", "-q", "-c", "\(count)", "-i", "0.2", "-W", "2", address],
                         timeout: .seconds(20))
    }

    /// Sends small datagrams as fast as one socket can, up to `count` or `duration`;
    /// returns how many left and how long it took.
    func flood(to address: String, port: UInt16, count: Int, duration: Duration) throws -> (sent: Int, elapsed: Duration) {
        let fd = try lab.senderSocket(family: AF_INET, type: Int32(SOCK_DGRAM.rawValue))
        defer { close(fd) }
        let payload = [UInt8](repeating: 0x66, count: 32)
        let start = ContinuousClock.now
        let deadline = start + duration
        var sent = 0
        while sent < count {
            if sent % 256 == 0, ContinuousClock.now >= deadline { break }
            let result = payload.withUnsafeBytes { bytes in
                Self.withAddress(address, port: port) { sendto(fd, bytes.baseAddress, bytes.count, 0, $0, $1) }
            }
            if result >= 0 { sent += 1 } else if errno != ENOBUFS && errno != EAGAIN {
                throw SystemCallError(call: "sendto \(address)", errno: errno)
            }
        }
        return (sent, ContinuousClock.now - start)
    }

    private func send(_ fd: Int32, _ payload: [UInt8], to address: String, port: UInt16, until deadline: ContinuousClock.Instant) throws {
        while true {
            let result = payload.withUnsafeBytes { bytes in
                Self.withAddress(address, port: port) { sendto(fd, bytes.baseAddress, bytes.count, 0, $0, $1) }
            }
            if result == payload.count { return }
            // A full queue on the veth: wait a little, within the deadline.
            guard result < 0, errno == ENOBUFS || errno == EAGAIN, ContinuousClock.now < deadline else {
                throw SystemCallError(call: "sendto \(address):\(port)", errno: result < 0 ? errno : EIO)
            }
            usleep(1_000)
        }
    }

    private func localPort(_ fd: Int32) throws -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        try check(named, "getsockname")
        // sin_port and sin6_port are both at offset 2, in network order.
        return withUnsafeBytes(of: storage) { UInt16($0[2]) << 8 | UInt16($0[3]) }
    }

    private func check(_ result: Int32, _ call: String) throws {
        guard result == 0 else { throw SystemCallError(call: call, errno: errno) }
    }

    static func withAddress<T>(_ address: String, port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        if address.contains(":") {
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = port.bigEndian
            _ = inet_pton(AF_INET6, address, &socketAddress.sin6_addr)
            return withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        socketAddress.sin_port = port.bigEndian
        _ = inet_pton(AF_INET, address, &socketAddress.sin_addr)
        return withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}
