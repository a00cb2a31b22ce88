import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A long-running program (a daemon, a test peer) started by us, with its output in a log
/// file, optionally inside a network namespace.
///
/// It is not ended on `deinit`: whoever starts it owns it and calls ``terminate(grace:)``
/// (NetLab's `Lab` does so on teardown).
package final class ChildProcess: Sendable, CustomStringConvertible {
    /// The program (resolved to a path) and its arguments, without the `ip netns exec` wrapper.
    package let arguments: [String]
    /// The network namespace it runs in, nil for the current one.
    package let namespace: String?
    /// Where its stdout and stderr go (appended).
    package let logPath: String
    package let pid: Int32

    private let monitor: ExitMonitor

    private init(arguments: [String], namespace: String?, logPath: String, monitor: ExitMonitor) {
        self.arguments = arguments
        self.namespace = namespace
        self.logPath = logPath
        self.monitor = monitor
        self.pid = monitor.pid
    }

    /// Starts `executable` with `arguments`, inside `namespace` (via `ip netns exec`) when
    /// given, appending its stdout and stderr to `logPath`.
    package static func start(
        _ executable: String,
        _ arguments: [String] = [],
        namespace: String? = nil,
        logPath: String,
        environment: [String: String] = [:]
    ) throws -> ChildProcess {
        let shown = ([executable] + arguments).joined(separator: " ")
        guard let program = Command.which(executable) else {
            throw CommandError(code: .notFound, commandLine: shown,
                               message: "\(executable) not found in PATH, /usr/sbin or /sbin")
        }
        var launchPath = program
        var launchArguments = arguments
        if let namespace {
            guard let ip = Command.which("ip") else {
                throw CommandError(code: .notFound, commandLine: shown,
                                   message: "ip (iproute2) is needed to run in a namespace")
            }
            // `ip netns exec` execs the program in place, so the pid we see is the program's.
            launchPath = ip
            launchArguments = ["netns", "exec", namespace, program] + arguments
        }

        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else {
            throw CommandError(code: .launchFailed, commandLine: shown,
                               message: "cannot open log \(logPath): \(String(cString: strerror(errno)))")
        }
        defer { close(log) }
        let stdin = try Spawn.openNullDevice()
        defer { close(stdin) }

        let pid: pid_t
        do {
            pid = try Spawn.launch(path: launchPath, arguments: launchArguments,
                                   environment: Spawn.environment(environment),
                                   stdin: stdin, stdout: log, stderr: log)
        } catch var error as CommandError {
            error.commandLine = shown
            throw error
        }
        return ChildProcess(arguments: [program] + arguments, namespace: namespace,
                            logPath: logPath, monitor: ExitMonitor(pid: pid))
    }

    /// Still running (not yet reaped).
    package var isRunning: Bool { monitor.termination == nil }

    /// How it ended, nil while it runs.
    package var termination: Termination? { monitor.termination }

    /// The exit status, nil while it runs or when a signal ended it.
    package var exitStatus: Int32? {
        if case .exited(let status) = monitor.termination { return status }
        return nil
    }

    /// The signal that ended it, nil while it runs or when it exited by itself.
    package var terminationSignal: Int32? {
        if case .signaled(let signal) = monitor.termination { return signal }
        return nil
    }

    /// Sends `signal` to the process and its process group; nothing once it has exited.
    package func kill(signal: Int32) {
        monitor.send(signal)
    }

    /// Waits until the process exits; returns false if it still runs after `timeout`.
    @discardableResult
    package func waitForExit(timeout: Duration) -> Bool {
        monitor.wait(timeout: timeout)
    }

    /// Ends the process: SIGTERM, then SIGKILL if it still runs after `grace`. Returns once
    /// it has exited, or after a last 5 s wait should even SIGKILL not end it.
    package func terminate(grace: Duration = .seconds(3)) {
        kill(signal: SIGTERM)
        if waitForExit(timeout: grace) { return }
        kill(signal: SIGKILL)
        waitForExit(timeout: .seconds(5))
    }

    package var description: String {
        let place = namespace.map { " in netns \($0)" } ?? ""
        return "pid \(pid) `\(arguments.joined(separator: " "))`\(place)"
    }
}
