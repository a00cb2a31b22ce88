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
    /// Killed (SIGTERM, then SIGKILL a second later) when it runs longer than this.
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

        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout.handle
        process.standardError = stderr.handle
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let exited = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in exited.signal() }
        do {
            try process.run()
        } catch {
            throw CommandError(code: .launchFailed, commandLine: commandLine,
                               message: "\(error)")
        }

        let timedOut = Command.wait(for: process, exited: exited, timeout: timeout)
        process.waitUntilExit()
        return CommandResult(
            commandLine: commandLine,
            exitStatus: process.terminationStatus,
            signaled: process.terminationReason == .uncaughtSignal,
            timedOut: timedOut,
            stdout: stdout.contents(),
            stderr: stderr.contents()
        )
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

    /// Waits for the exit; on timeout terminates the process and returns true.
    private static func wait(
        for process: Process, exited: DispatchSemaphore, timeout: Duration?
    ) -> Bool {
        guard let timeout else {
            exited.wait()
            return false
        }
        if exited.wait(timeout: .now() + timeout.timeInterval) == .success {
            return false
        }
        Signals.send(SIGTERM, to: process.processIdentifier)
        if exited.wait(timeout: .now() + 1) == .timedOut {
            Signals.send(SIGKILL, to: process.processIdentifier)
            exited.wait()
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
