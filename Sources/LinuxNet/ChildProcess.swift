import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A long-running program (a daemon, a test peer) started by us, with its output in a log
/// file, optionally inside a network namespace.
///
/// It is not ended on `deinit`: whoever starts it owns it and calls ``terminate(grace:)``
/// (NetLab's `Lab` does so on teardown).
package final class ChildProcess: @unchecked Sendable, CustomStringConvertible {
    /// The program's arguments as given, without the `ip netns exec` wrapper.
    package let arguments: [String]
    /// The network namespace it runs in, nil for the current one.
    package let namespace: String?
    /// Where its stdout and stderr go (appended).
    package let logPath: String
    package let pid: Int32

    private let process: Process
    // Guards `exitStatus`, and lets waiters sleep until the termination handler runs.
    private let condition = NSCondition()
    private var finished: (status: Int32, signaled: Bool)?

    private init(arguments: [String], namespace: String?, logPath: String, process: Process) {
        self.arguments = arguments
        self.namespace = namespace
        self.logPath = logPath
        self.process = process
        self.pid = process.processIdentifier
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

        let fd = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw CommandError(code: .launchFailed, commandLine: shown,
                               message: "cannot open log \(logPath): \(String(cString: strerror(errno)))")
        }
        let log = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? log.close() }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: launchPath)
        process.arguments = launchArguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = log
        process.standardError = log
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        // Set before launch so a program that dies at once is still seen exiting.
        let box = HandlerBox()
        process.terminationHandler = { ended in box.child?.didExit(ended) }
        do {
            try process.run()
        } catch {
            throw CommandError(code: .launchFailed, commandLine: shown, message: "\(error)")
        }
        let child = ChildProcess(arguments: [program] + arguments, namespace: namespace,
                                 logPath: logPath, process: process)
        box.set(child)
        if !process.isRunning {
            child.didExit(process)
        }
        return child
    }

    /// Still running (not yet reaped).
    package var isRunning: Bool {
        condition.lock()
        defer { condition.unlock() }
        return finished == nil
    }

    /// The exit status (or the signal number that ended it), nil while it runs.
    package var exitStatus: Int32? {
        condition.lock()
        defer { condition.unlock() }
        return finished?.status
    }

    /// The signal that ended the process, nil while it runs or when it exited by itself.
    package var terminationSignal: Int32? {
        condition.lock()
        defer { condition.unlock() }
        guard let finished, finished.signaled else { return nil }
        return finished.status
    }

    /// Sends `signal` to the process (and its process group when it leads one).
    package func kill(signal: Int32) {
        // Once reaped, the pid may belong to someone else: never signal it then.
        condition.lock()
        defer { condition.unlock() }
        if finished == nil {
            Signals.send(signal, to: pid)
        }
    }

    /// Waits until the process exits; returns false if it still runs after `timeout`.
    @discardableResult
    package func waitForExit(timeout: Duration) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout.timeInterval)
        condition.lock()
        defer { condition.unlock() }
        while finished == nil {
            if !condition.wait(until: deadline) {
                return finished != nil
            }
        }
        return true
    }

    /// Ends the process: SIGTERM, then SIGKILL if it still runs after `grace`.
    /// Returns once it has exited (or after a last 5 s wait, should SIGKILL not be enough).
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

    private func didExit(_ process: Process) {
        condition.lock()
        if finished == nil {
            finished = (process.terminationStatus, process.terminationReason == .uncaughtSignal)
        }
        condition.broadcast()
        condition.unlock()
    }
}

/// Lets the termination handler, set before launch, reach the `ChildProcess` built after it.
private final class HandlerBox: @unchecked Sendable {
    private let lock = NSLock()
    // Weak: the process keeps its handler, which keeps this box; a strong reference would
    // make a cycle through the child's own process.
    private weak var value: ChildProcess?

    var child: ChildProcess? {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    func set(_ child: ChildProcess) {
        lock.lock()
        value = child
        lock.unlock()
    }
}
