#if canImport(Glibc)
import Glibc
#endif

/// Moving the calling thread into a named network namespace (`ip netns add NAME`), so that
/// sockets it opens, and threads it starts, live there. For tests and the lab.
package enum NetworkNamespace {
    private typealias SetNS = @convention(c) (Int32, Int32) -> Int32
    private static let cloneNewNet: Int32 = 0x4000_0000

    /// Enters `/var/run/netns/NAME` on this thread only. Use it on a thread of your own, never
    /// on one of Swift's task pool.
    package static func enter(_ name: String) throws(SystemCallError) {
        let fd = open("/var/run/netns/\(name)", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SystemCallError(call: "open /var/run/netns/\(name)", errno: errno) }
        defer { close(fd) }
        // Glibc does not export setns to Swift; look it up in libc.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setns") else {
            throw SystemCallError(call: "setns", errno: ENOSYS, detail: "libc has no setns")
        }
        let setns = unsafeBitCast(symbol, to: SetNS.self)
        guard setns(fd, cloneNewNet) == 0 else { throw SystemCallError(call: "setns \(name)", errno: errno) }
    }
}
