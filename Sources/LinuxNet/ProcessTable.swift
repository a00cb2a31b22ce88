#if canImport(Glibc)
import Glibc
#endif

/// Questions about processes this one did not start.
package enum ProcessTable {
    /// This process's id.
    package static var currentPID: Int32 { getpid() }

    /// Whether a process with this id exists (it may belong to another user).
    package static func isAlive(pid: Int32) -> Bool {
        guard pid > 0 else { return false }
        // kill(pid, 0) checks existence and permission without sending anything.
        return kill(pid, 0) == 0 || errno == EPERM
    }
}
