import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One run of an external program: the executable, its arguments and how long it may take.
///
/// Output goes to unlinked temporary files rather than pipes, so a program that writes
/// megabytes to both streams cannot fill a pipe buffer and deadlock us, and a daemon that
/// keeps our descriptors open cannot make us wait for an end-of-file that never comes.
package struct Command: Sendable, CustomStringConvertible {
    /// The program: a bare name, resolved with ``Command/which(_:)``, or a path.
    package var executable: String
    package var arguments: [String]
    /// Killed with its process group (SIGTERM, then SIGKILL a second later) when it runs
    /// longer than this.
    package var timeout: Duration?
    /// Added to, and overriding, the inherited environment.
    package var environment: [String: String]

    package init(
        _ executable: String,
        _ arguments: [String] = [],
        timeout: Duration? = nil,
        environment: [String: String] = [:]
    ) {
        self.executable = executable
        self.arguments = arguments
        self.timeout = timeout
        self.environment = environment
    }

    /// The command as a shell-like line, for logs and error messages.
    package var commandLine: String {
        ([executable] + arguments).map(Command.quoted).joined(separator: " ")
    }

    package var description: String { commandLine }

    /// Runs the program to completion and returns what it did, whatever its exit status.
    ///
    /// Throws ``CommandError`` only when the program cannot be found or started.
    package func run() throws -> CommandResult {
        guard let path = Command.which(executable) else {
            throw CommandError(code: .notFound, commandLine: commandLine,
                               message: "\(executable) not found in PATH, /usr/sbin or /sbin")
        }
        let stdout = try TemporaryOutputFile()
        let stderr = try TemporaryOutputFile()
        let stdin = try Spawn.openNullDevice()
        defer { close(stdin) }

        let pid: pid_t
        do {
            pid = try Spawn.launch(path: path, arguments: arguments,
                                   environment: Spawn.environment(environment),
                                   stdin: stdin, stdout: stdout.handle.fileDescriptor,
                                   stderr: stderr.handle.fileDescriptor)
        } catch var error as CommandError {
            error.commandLine = commandLine
            throw error
        }
        let monitor = ExitMonitor(pid: pid)
        let timedOut = Command.wait(for: monitor, timeout: timeout)
        let (status, signaled): (Int32, Bool) = switch monitor.termination ?? .exited(-1) {
        case .exited(let status): (status, false)
        case .signaled(let signal): (signal, true)
        }
        return CommandResult(commandLine: commandLine, exitStatus: status, signaled: signaled,
                             timedOut: timedOut, stdout: stdout.contents(), stderr: stderr.contents())
    }

    /// Runs the program and throws ``CommandError`` unless it exits with status 0 in time.
    @discardableResult
    package func check() throws -> CommandResult {
        let result = try run()
        if result.timedOut {
            throw CommandError(result: result, code: .timedOut)
        }
        if !result.succeeded {
            throw CommandError(result: result, code: .failed)
        }
        return result
    }

    /// Shorthand for `Command(executable, arguments, timeout: timeout).run()`.
    package static func run(
        _ executable: String, _ arguments: [String] = [], timeout: Duration? = nil
    ) throws -> CommandResult {
        try Command(executable, arguments, timeout: timeout).run()
    }

    /// Shorthand for `Command(executable, arguments, timeout: timeout).check()`.
    @discardableResult
    package static func check(
        _ executable: String, _ arguments: [String] = [], timeout: Duration? = nil
    ) throws -> CommandResult {
        try Command(executable, arguments, timeout: timeout).check()
    }

    /// Waits for the exit; on timeout terminates the program and returns true.
    private static func wait(for monitor: ExitMonitor, timeout: Duration?) -> Bool {
        if monitor.wait(timeout: timeout) {
            return false
        }
        monitor.send(SIGTERM)
        if !monitor.wait(timeout: .seconds(1)) {
            monitor.send(SIGKILL)
            monitor.wait(timeout: nil)
        }
        return true
    }

    private static func quoted(_ word: String) -> String {
        let plain = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_./=:,+@%"))
        if !word.isEmpty, word.unicodeScalars.allSatisfy(plain.contains) {
            return word
        }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
