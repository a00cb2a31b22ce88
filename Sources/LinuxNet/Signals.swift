#if canImport(Glibc)
import Glibc
#endif

/// Sending signals to a child and to the process group it leads, if any.
enum Signals {
    /// Signals the process, and its whole group when it leads one, so a shell's children
    /// die with it.
    static func send(_ signal: Int32, to pid: pid_t) {
        guard pid > 0 else { return }
        if getpgid(pid) == pid, pid != getpgrp() {
            _ = kill(-pid, signal)
        }
        _ = kill(pid, signal)
    }
}
