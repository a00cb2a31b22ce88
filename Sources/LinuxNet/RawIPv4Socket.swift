#if canImport(Glibc)
import Glibc
#endif

/// A raw IPv4 socket for one IP protocol (47 for GRE, 1 for ICMP).
///
/// Reads return whole IPv4 packets, header included (Linux always includes it on raw IPv4
/// sockets). With `headerIncluded`, writes take whole packets too (`IP_HDRINCL`): the caller
/// sets source, TTL and DF itself; the kernel fills in the checksum and, when 0, the ID.
package final class RawIPv4Socket: @unchecked Sendable {
    package let fd: Int32
    package let ipProtocol: Int32

    package init(ipProtocol: Int32, headerIncluded: Bool, receiveBuffer: Int32 = 4 << 20) throws(SystemCallError) {
        let fd = socket(AF_INET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), ipProtocol)
        guard fd >= 0 else { throw SystemCallError(call: "socket(AF_INET, SOCK_RAW, \(ipProtocol))", errno: errno) }
        var one: Int32 = 1
        var size = receiveBuffer
        if headerIncluded, setsockopt(fd, Int32(IPPROTO_IP), IP_HDRINCL, &one, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            let code = errno
            close(fd)
            throw SystemCallError(call: "setsockopt IP_HDRINCL", errno: code)
        }
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
        self.ipProtocol = ipProtocol
    }

    /// Reads one packet (IPv4 header included); 0 when nothing arrived within `pollTimeout` ms.
    package func receive(into buffer: UnsafeMutableRawBufferPointer, pollTimeout: Int32 = 200) throws(SystemCallError) -> Int {
        try FileDescriptorIO.read(fd, into: buffer, pollTimeout: pollTimeout, call: "recv raw \(ipProtocol)") ?? 0
    }

    /// Sends `packet` to `destination` (an IPv4 address in host byte order).
    package func send(_ packet: UnsafeRawBufferPointer, to destination: UInt32) throws(SystemCallError) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = destination.bigEndian
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, packet.baseAddress, packet.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard sent == packet.count else { throw SystemCallError(call: "sendto raw \(ipProtocol)", errno: sent < 0 ? errno : EIO) }
    }

    deinit { close(fd) }
}
