#if canImport(Glibc)
import Glibc
#endif

/// A raw IPv6 socket. Unlike raw IPv4 sockets, reads return the payload only (an ICMPv6 message,
/// a TCP segment); the addresses come with it from `recvmsg`: the source from the peer address,
/// the destination from `IPV6_PKTINFO` (RFC 3542 §6).
///
/// An `IPPROTO_RAW` socket sends whole IPv6 packets, header included (Linux sets `IPV6_HDRINCL`
/// on it): the caller sets hop limit, addresses and checksums itself.
package final class RawIPv6Socket: @unchecked Sendable {
    package let fd: Int32
    package let ipProtocol: Int32

    // <netinet/in.h> (RFC 3542); Glibc does not always export them to Swift.
    static let recvPacketInfo: Int32 = 49 // IPV6_RECVPKTINFO
    static let packetInfo: Int32 = 50 // IPV6_PKTINFO
    static let checksum: Int32 = 7 // IPV6_CHECKSUM

    /// With `checksumOffset` (16 for TCP), the kernel drops received packets whose checksum at
    /// that offset is wrong (RFC 3542 §3.1). It judges packets a local sender left with a partial
    /// checksum for offload (veth, loopback) correctly, which no reader of the bytes can; ICMPv6
    /// sockets always check.
    package init(ipProtocol: Int32, receiveBuffer: Int32 = 1 << 20, checksumOffset: Int32? = nil) throws(SystemCallError) {
        let fd = socket(AF_INET6, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), ipProtocol)
        guard fd >= 0 else { throw SystemCallError(call: "socket(AF_INET6, SOCK_RAW, \(ipProtocol))", errno: errno) }
        var one: Int32 = 1
        var size = receiveBuffer
        if ipProtocol != Int32(IPPROTO_RAW), setsockopt(fd, Int32(IPPROTO_IPV6), Self.recvPacketInfo, &one, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            let code = errno
            close(fd)
            throw SystemCallError(call: "setsockopt IPV6_RECVPKTINFO", errno: code)
        }
        if var offset = checksumOffset, setsockopt(fd, Int32(IPPROTO_IPV6), Self.checksum, &offset, socklen_t(MemoryLayout<Int32>.size)) != 0 {
            let code = errno
            close(fd)
            throw SystemCallError(call: "setsockopt IPV6_CHECKSUM", errno: code)
        }
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        self.fd = fd
        self.ipProtocol = ipProtocol
    }

    /// Reads one queued payload without waiting, with its source and destination addresses (nil
    /// when the kernel sent no `IPV6_PKTINFO`); nil when nothing is queued.
    package func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> (count: Int, source: UInt128, destination: UInt128?)? {
        var peer = sockaddr_in6()
        var control = [UInt8](repeating: 0, count: 128)
        var vector = iovec(iov_base: buffer.baseAddress, iov_len: buffer.count)
        let (count, controlLength) = withUnsafeMutablePointer(to: &peer) { peerPointer in
            control.withUnsafeMutableBytes { controlBytes in
                withUnsafeMutablePointer(to: &vector) { vectorPointer in
                    var message = msghdr()
                    message.msg_name = UnsafeMutableRawPointer(peerPointer)
                    message.msg_namelen = socklen_t(MemoryLayout<sockaddr_in6>.size)
                    message.msg_iov = vectorPointer
                    message.msg_iovlen = 1
                    message.msg_control = controlBytes.baseAddress
                    message.msg_controllen = controlBytes.count
                    let count = recvmsg(fd, &message, Int32(MSG_DONTWAIT))
                    return (count, Int(message.msg_controllen))
                }
            }
        }
        if count < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return nil }
            throw SystemCallError(call: "recvmsg raw6 \(ipProtocol)", errno: errno)
        }
        return (count, Self.address(peer.sin6_addr), Self.packetInfoAddress(control, length: controlLength))
    }

    /// The destination address in an `IPV6_PKTINFO` control message (struct in6_pktinfo).
    static func packetInfoAddress(_ control: [UInt8], length: Int) -> UInt128? {
        // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; }, data aligned to size_t.
        let word = MemoryLayout<Int>.size
        let headerLength = (word + 8 + word - 1) / word * word
        var offset = 0
        while offset + headerLength <= min(length, control.count) {
            let messageLength = control[offset..<(offset + word)].reversed().reduce(0) { $0 << 8 | Int($1) }
            guard messageLength >= headerLength, offset + messageLength <= control.count else { return nil }
            let level = control[(offset + word)..<(offset + word + 4)].reversed().reduce(Int32(0)) { $0 << 8 | Int32($1) }
            let type = control[(offset + word + 4)..<(offset + word + 8)].reversed().reduce(Int32(0)) { $0 << 8 | Int32($1) }
            if level == Int32(IPPROTO_IPV6), type == packetInfo, messageLength >= headerLength + 16 {
                return control[(offset + headerLength)..<(offset + headerLength + 16)].reduce(UInt128(0)) { $0 << 8 | UInt128($1) }
            }
            offset += (messageLength + word - 1) / word * word
        }
        return nil
    }

    static func address(_ raw: in6_addr) -> UInt128 {
        withUnsafeBytes(of: raw) { $0.reduce(UInt128(0)) { $0 << 8 | UInt128($1) } }
    }

    static func socketAddress(_ address: UInt128) -> sockaddr_in6 {
        var socketAddress = sockaddr_in6()
        socketAddress.sin6_family = sa_family_t(AF_INET6)
        withUnsafeMutableBytes(of: &socketAddress.sin6_addr) { bytes in
            for index in 0..<16 { bytes[index] = UInt8(truncatingIfNeeded: address >> (120 - 8 * index)) }
        }
        return socketAddress
    }

    /// Sends `packet` (a whole IPv6 packet on an `IPPROTO_RAW` socket) to `destination`.
    package func send(_ packet: UnsafeRawBufferPointer, to destination: UInt128) throws(SystemCallError) {
        var address = Self.socketAddress(destination)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, packet.baseAddress, packet.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        }
        guard sent == packet.count else { throw SystemCallError(call: "sendto raw6 \(ipProtocol)", errno: sent < 0 ? errno : EIO) }
    }

    deinit { close(fd) }
}

extension RouteSource {
    /// The source address the kernel would pick for a packet to an IPv6 destination.
    package static func ipv6(toward destination: UInt128) throws(SystemCallError) -> UInt128 {
        let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemCallError(call: "socket(AF_INET6, SOCK_DGRAM)", errno: errno) }
        defer { close(fd) }
        var address = RawIPv6Socket.socketAddress(destination)
        address.sin6_port = UInt16(33434).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
        }
        guard connected == 0 else { throw SystemCallError(call: "connect (route lookup)", errno: errno) }
        var local = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        let named = withUnsafeMutablePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw SystemCallError(call: "getsockname", errno: errno) }
        return RawIPv6Socket.address(local.sin6_addr)
    }
}
