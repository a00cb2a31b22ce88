import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// How a child process ended.
package enum Termination: Hashable, Sendable {
    case exited(Int32)
    case signaled(Int32)
}

/// Reaps one child on a thread of its own and lets others wait for it with a timeout.
///
/// A thread rather than a Dispatch queue: a daemon may run for the whole test run, and a
/// blocked `waitpid` would hold a shared worker thread all that time.
final class ExitMonitor: @unchecked Sendable {
    let pid: pid_t
    private let condition = NSCondition()
    private var ended: Termination?

    init(pid: pid_t) {
        self.pid = pid
        let thread = Thread { [self] in
            let termination = ExitMonitor.reap(pid)
            condition.lock()
            ended = termination
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "moat-reap-\(pid)"
        thread.start()
    }

    /// How it ended, nil while it runs.
    var termination: Termination? {
        condition.lock()
        defer { condition.unlock() }
        return ended
    }

    /// Waits until the child is reaped; false if it still runs after `timeout` (nil: forever).
    @discardableResult
    func wait(timeout: Duration?) -> Bool {
        // Not `.distantFuture`: NSCondition traps converting it to a timespec.
        let deadline = timeout.map { Date(timeIntervalSinceNow: $0.timeInterval) }
        condition.lock()
        defer { condition.unlock() }
        while ended == nil {
            guard let deadline else {
                condition.wait()
                continue
            }
            if !condition.wait(until: deadline) {
                return ended != nil
            }
        }
        return true
    }

    /// Signals the child (and its process group) unless it has been reaped, after which
    /// its pid may already belong to another process.
    func send(_ signal: Int32) {
        condition.lock()
        defer { condition.unlock() }
        if ended == nil {
            Signals.send(signal, to: pid)
        }
    }

    private static func reap(_ pid: pid_t) -> Termination {
        var status: Int32 = 0
        while true {
            if waitpid(pid, &status, 0) == pid { break }
            if errno != EINTR {
                // ECHILD: someone else reaped it (SIGCHLD ignored, a waitpid(-1) elsewhere).
                return .exited(-1)
            }
        }
        let low = status & 0x7f
        return low == 0 ? .exited((status >> 8) & 0xff) : .signaled(low)
    }
}
