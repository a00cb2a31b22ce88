import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// A UDP socket that receives datagrams nftables TPROXY sends it, with the destination each
/// datagram was originally addressed to (`IP_RECVORIGDSTADDR`, `IPV6_RECVORIGDSTADDR`).
///
/// SwiftNIO reads only the ECN and `IP_PKTINFO` control messages, and `IP_PKTINFO` carries the
/// address without the port, so this adapter reads the socket itself, on a thread of its own.
package final class TransparentUDPSocket: Sendable {
    /// One datagram: its bytes, who sent it, and where it was going before TPROXY.
    package struct Datagram: Sendable {
        package var bytes: [UInt8]
        package var source: SocketAddress
        package var originalDestination: SocketAddress
    }

    private let fd: Int32
    private let stopped = Atomic<Bool>(false)
    private let closed = Atomic<Bool>(false)
    /// Datagrams without an original destination or with an unknown address family.
    package let malformed = Atomic<Int>(0)
    package let port: UInt16

    // <linux/in.h>, <linux/in6.h>: Glibc does not export these names.
    static let ipTransparent: Int32 = 19
    static let ipRecvOrigDstAddr: Int32 = 20
    static let ipv6Transparent: Int32 = 75
    static let ipv6RecvOrigDstAddr: Int32 = 74

    /// Binds a transparent socket to `port` (0: any free port) on every address: IPv6 with
    /// IPv4-mapped addresses when `dualStack`, else IPv4 only. Needs CAP_NET_ADMIN.
    package init(port: UInt16 = 0, dualStack: Bool = true) throws(SystemCallError) {
        let family = dualStack ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError(call: "socket(SOCK_DGRAM)", errno: errno) }
        var options: [(Int32, Int32, String)] = [(SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR"),
                                                 (SOL_IP, Self.ipTransparent, "IP_TRANSPARENT"),
                                                 (SOL_IP, Self.ipRecvOrigDstAddr, "IP_RECVORIGDSTADDR")]
        if dualStack {
            options += [(Int32(IPPROTO_IPV6), IPV6_V6ONLY, "IPV6_V6ONLY"), (Int32(IPPROTO_IPV6), Self.ipv6Transparent, "IPV6_TRANSPARENT"),
                        (Int32(IPPROTO_IPV6), Self.ipv6RecvOrigDstAddr, "IPV6_RECVORIGDSTADDR")]
        }
        for (level, name, label) in options {
            var value: Int32 = name == IPV6_V6ONLY && level == Int32(IPPROTO_IPV6) ? 0 : 1
            guard setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                let error = errno
                close(fd)
                throw SystemCallError(call: "setsockopt(\(label))", errno: error)
            }
        }
        let address = SocketAddress(dualStack ? .v6(0) : .v4(0), port: port)
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            let error = errno
            close(fd)
            throw SystemCallError(call: "bind(\(address))", errno: error)
        }
        guard let local = SocketAddress.local(of: fd) else {
            close(fd)
            throw SystemCallError(call: "getsockname", errno: errno)
        }
        self.fd = fd
        self.port = local.port
    }

    deinit { if !closed.load(ordering: .relaxed) { close(fd) } }

    /// Reads datagrams on a thread of its own and hands them to `deliver` in batches of at most
    /// `batch`, until ``stop()``.
    package func run(batch: Int = 32, deliver: @escaping @Sendable ([Datagram]) -> Void) {
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while !stopped.load(ordering: .relaxed) {
                guard let ready = try? SocketPoll.readable([fd], timeout: 200), !ready.isEmpty else { continue }
                var datagrams: [Datagram] = []
                while datagrams.count < batch, let datagram = receive(&buffer) {
                    if let datagram { datagrams.append(datagram) }
                }
                if !datagrams.isEmpty { deliver(datagrams) }
            }
            if !closed.exchange(true, ordering: .relaxed) { close(fd) }
        }
        thread.name = "moat-udp-tproxy-\(port)"
        thread.start()
    }

    /// Stops the reader; it closes the socket within its poll interval.
    package func stop() {
        stopped.store(true, ordering: .relaxed)
    }

    /// One datagram without waiting: nil when none is queued, `.some(nil)` for one that is not
    /// usable (counted in ``malformed``).
    private func receive(_ buffer: inout [UInt8]) -> Datagram?? {
        var source = sockaddr_storage()
        var control = [UInt8](repeating: 0, count: 128)
        var controlLength = 0
        let count: Int = buffer.withUnsafeMutableBytes { payload in
            control.withUnsafeMutableBytes { control in
                withUnsafeMutablePointer(to: &source) { source in
                    var vector = iovec(iov_base: payload.baseAddress, iov_len: payload.count)
                    return withUnsafeMutablePointer(to: &vector) { vector in
                        var message = msghdr()
                        message.msg_name = UnsafeMutableRawPointer(source)
                        message.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                        message.msg_iov = vector
                        message.msg_iovlen = 1
                        message.msg_control = control.baseAddress
                        message.msg_controllen = control.count
                        let received = recvmsg(fd, &message, Int32(MSG_DONTWAIT))
                        controlLength = Int(message.msg_controllen)
                        return received
                    }
                }
            }
        }
        guard count >= 0 else { return nil }
        guard let from = withUnsafeBytes(of: &source, { SocketAddress($0.baseAddress!) }),
              let original = Self.originalDestination(control[0..<min(controlLength, control.count)]) else {
            malformed.add(1, ordering: .relaxed)
            return .some(nil)
        }
        return .some(Datagram(bytes: Array(buffer[0..<count]), source: from, originalDestination: original))
    }

    /// Finds `IP_ORIGDSTADDR` or `IPV6_ORIGDSTADDR` among the control messages of one datagram.
    /// Walks the `cmsghdr` chain by hand: `CMSG_NXTHDR` is a macro Swift cannot call.
    package static func originalDestination(_ control: ArraySlice<UInt8>) -> SocketAddress? {
        let bytes = Array(control)
        let header = MemoryLayout<cmsghdr>.size
        let align = MemoryLayout<Int>.size
        var offset = 0
        while offset + header <= bytes.count {
            let (length, level, type) = bytes.withUnsafeBytes { raw in
                (Int(raw.loadUnaligned(fromByteOffset: offset, as: Int.self)),
                 raw.loadUnaligned(fromByteOffset: offset + align, as: Int32.self),
                 raw.loadUnaligned(fromByteOffset: offset + align + 4, as: Int32.self))
            }
            guard length >= header, offset + length <= bytes.count else { return nil }
            // IP_ORIGDSTADDR and IPV6_ORIGDSTADDR share the value of the option that asks for them.
            if (level == SOL_IP && type == ipRecvOrigDstAddr) || (level == Int32(IPPROTO_IPV6) && type == ipv6RecvOrigDstAddr) {
                var storage = sockaddr_storage()
                let data = bytes[(offset + header)..<(offset + length)]
                guard data.count <= MemoryLayout<sockaddr_storage>.size, data.count >= MemoryLayout<sockaddr_in>.size else { return nil }
                withUnsafeMutableBytes(of: &storage) { $0.copyBytes(from: data) }
                return withUnsafeBytes(of: &storage) { SocketAddress($0.baseAddress!) }
            }
            offset += (length + align - 1) / align * align
        }
        return nil
    }
}
