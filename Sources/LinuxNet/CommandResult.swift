/// What a finished ``Command`` did.
package struct CommandResult: Sendable, CustomStringConvertible {
    package var commandLine: String
    /// The exit status, or the signal number when ``signaled`` is true.
    package var exitStatus: Int32
    /// The program was ended by a signal rather than exiting.
    package var signaled: Bool
    /// The program ran past its timeout and was killed.
    package var timedOut: Bool
    package var stdout: String
    package var stderr: String

    /// Exited by itself with status 0.
    package var succeeded: Bool { exitStatus == 0 && !signaled && !timedOut }

    package var description: String {
        if timedOut { return "`\(commandLine)` timed out" }
        if signaled { return "`\(commandLine)` was killed by signal \(exitStatus)" }
        return "`\(commandLine)` exited with status \(exitStatus)"
    }
}
