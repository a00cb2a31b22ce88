#if canImport(Glibc)
import Glibc
#endif

/// A layer-3 TUN device (`IFF_TUN | IFF_NO_PI`): each read returns one IP packet the kernel
/// routed into the device; each write hands one IP packet to the kernel as if it arrived on it.
///
/// Blocking file descriptor; `read` waits at most `pollTimeout` so a reader thread can stop.
package final class TunDevice: @unchecked Sendable {
    package let name: String
    package let fd: Int32

    private static let tunSetIFF: UInt = 0x4004_54ca
    private static let iffTun: Int16 = 0x0001
    private static let iffNoPI: Int16 = 0x1000

    /// Creates (or attaches to) the device `name` (at most 15 bytes). Needs CAP_NET_ADMIN.
    package init(name: String) throws(SystemCallError) {
        guard !name.isEmpty, name.utf8.count <= 15 else {
            throw SystemCallError(call: "TUNSETIFF", errno: EINVAL, detail: "interface name '\(name)' must be 1-15 bytes")
        }
        let fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError(call: "open /dev/net/tun", errno: errno) }
        // struct ifreq: 16 bytes of name, then the union; ifr_flags is its first short.
        var request = [UInt8](repeating: 0, count: 40)
        for (index, byte) in name.utf8.enumerated() { request[index] = byte }
        withUnsafeBytes(of: Self.iffTun | Self.iffNoPI) { for (index, byte) in $0.enumerated() { request[16 + index] = byte } }
        let result = request.withUnsafeMutableBytes { ioctl(fd, Self.tunSetIFF, $0.baseAddress!) }
        guard result == 0 else {
            let code = errno
            close(fd)
            throw SystemCallError(call: "TUNSETIFF \(name)", errno: code)
        }
        self.name = name
        self.fd = fd
    }

    /// Reads one packet into `buffer`; 0 when nothing arrived within `pollTimeout` milliseconds.
    package func read(into buffer: UnsafeMutableRawBufferPointer, pollTimeout: Int32 = 200) throws(SystemCallError) -> Int {
        try FileDescriptorIO.read(fd, into: buffer, pollTimeout: pollTimeout, call: "read \(name)") ?? 0
    }

    /// Writes one packet to the kernel.
    package func write(_ packet: UnsafeRawBufferPointer) throws(SystemCallError) {
        let written = Glibc.write(fd, packet.baseAddress, packet.count)
        guard written == packet.count else { throw SystemCallError(call: "write \(name)", errno: written < 0 ? errno : EIO) }
    }

    deinit { close(fd) }
}

/// A failed system call, with the errno text.
package struct SystemCallError: Error, CustomStringConvertible, Sendable {
    package var call: String
    package var errno: Int32
    package var detail: String?

    package init(call: String, errno: Int32, detail: String? = nil) {
        self.call = call
        self.errno = errno
        self.detail = detail
    }

    package var description: String {
        "\(call): \(detail ?? String(cString: strerror(errno)))"
    }
}

/// Poll-then-read, shared by the TUN device, raw sockets and TCP connections: nil when nothing
/// arrived within `pollTimeout` ms (or a signal interrupted the wait), else what `read` returned.
enum FileDescriptorIO {
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, pollTimeout: Int32, call: String) throws(SystemCallError) -> Int? {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&entry, 1, pollTimeout)
        if ready == 0 { return nil }
        if ready < 0 {
            if errno == EINTR { return nil }
            throw SystemCallError(call: "poll (\(call))", errno: errno)
        }
        let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
        if count < 0 {
            if errno == EINTR || errno == EAGAIN { return nil }
            throw SystemCallError(call: call, errno: errno)
        }
        return count
    }
}
