import Foundation
import Synchronization

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

extension NetworkNamespace {
    /// Runs `body` on a new thread that has entered namespace `name` and returns what it
    /// answers. Threads that `body` starts are in the namespace too: a new thread inherits
    /// its creator's namespace (how tests and benchmarks run a BGP speaker inside a lab).
    package static func onThread<T: Sendable>(in name: String, timeout: Duration = .seconds(10),
                                              _ body: @escaping @Sendable () throws -> T) throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        let thread = Thread {
            result.withLock { $0 = Result { try enter(name); return try body() } }
        }
        thread.start()
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let outcome = result.withLock({ $0 }) { return try outcome.get() }
            usleep(1_000)
        }
        throw SystemCallError(call: "setns", errno: ETIMEDOUT, detail: "the thread for namespace \(name) did not answer within \(timeout)")
    }
}
