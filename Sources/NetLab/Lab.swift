import Foundation
import LinuxNet

#if canImport(Glibc)
import Glibc
#endif

/// A set of network namespaces, links, addresses, routes and processes that is made for
/// one test (or one `moat lab`) and torn down as a whole.
///
/// Every name starts with a prefix unique to this process and lab,
/// `<base><pid>x<counter>`, so labs of parallel tests and of concurrent test runs never
/// collide, and ``removeStale(prefix:)`` can tell from a name whether its maker is still
/// alive. Interfaces are created directly inside the lab's namespaces, so their names
/// (at most 15 characters) only need to be unique within one namespace, and deleting the
/// namespaces deletes them.
///
/// Methods block while their `ip` command runs (milliseconds); they are safe to call from
/// several threads.
package final class Lab: @unchecked Sendable {
    /// The start of every lab name made by Moat's tests.
    package static let projectPrefix = "moatt"

    /// This lab's prefix, e.g. `moatt4242x1`.
    package let prefix: String
    /// Where the logs of processes started in the lab go.
    package let logDirectory: String
    /// Keep ``logDirectory`` after teardown (for a failing test or `moat lab`).
    package let keepLogs: Bool
    /// How long a process gets between SIGTERM and SIGKILL on teardown.
    package let processGrace: Duration

    private let lock = NSLock()
    var namespacesMade: [Namespace] = []
    var processesStarted: [ChildProcess] = []
    var resourcesMade: [LabResource] = []

    /// Makes an empty lab; nothing is created until asked.
    package init(base: String = Lab.projectPrefix, keepLogs: Bool = false,
                 processGrace: Duration = .seconds(3)) {
        prefix = "\(base)\(ProcessTable.currentPID)x\(LabCounter.shared.next())"
        logDirectory = NSTemporaryDirectory() + "/" + prefix + "-logs"
        self.keepLogs = keepLogs
        self.processGrace = processGrace
    }

    deinit {
        teardown()
    }

    /// The namespaces made so far, in order.
    package var namespaces: [Namespace] { locked { namespacesMade } }
    /// The processes started so far, in order.
    package var processes: [ChildProcess] { locked { processesStarted } }
    /// Everything made so far, in order.
    package var resources: [LabResource] { locked { resourcesMade } }

    /// Creates namespace `<prefix>-<shortName>` and brings its loopback up.
    @discardableResult
    package func addNamespace(_ shortName: String) throws -> Namespace {
        guard SystemUser.isRoot else {
            throw LabError(.needsRoot, "creating network namespaces needs root (euid \(SystemUser.effectiveUserID))")
        }
        try LabNames.validate(namespace: shortName)
        let ns = Namespace(name: "\(prefix)-\(shortName)", shortName: shortName)
        do {
            try ip(["netns", "add", ns.name])
        } catch let error as CommandError where error.stderr.contains("File exists")
            && !namespaces.contains(ns) {
            // It carries our pid and counter but we did not make it: a leftover of a dead
            // process that had our pid.
            Lab.deleteNamespace(ns.name)
            try ip(["netns", "add", ns.name])
        }
        record(.namespace(ns)) { namespacesMade.append(ns) }
        try ip(["-n", ns.name, "link", "set", "lo", "up"])
        return ns
    }

    /// Runs a program in `namespace` and returns what it printed; throws `CommandError`
    /// when it exits non-zero or runs past `timeout`.
    @discardableResult
    package func exec(in namespace: Namespace, _ arguments: [String],
                      timeout: Duration? = .seconds(60)) throws -> CommandResult {
        try command(in: namespace, arguments, timeout: timeout).check()
    }

    /// Like ``exec(in:_:timeout:)`` but returns the result whatever the exit status.
    package func run(in namespace: Namespace, _ arguments: [String],
                     timeout: Duration? = .seconds(60)) throws -> CommandResult {
        try command(in: namespace, arguments, timeout: timeout).run()
    }

    /// Stops the lab's processes, then deletes its namespaces (and with them every link,
    /// address and route). Best effort and idempotent: it goes on past failures and
    /// returns them, and a second call does nothing.
    @discardableResult
    package func teardown() -> [String] {
        let (processes, namespaces) = locked {
            defer {
                processesStarted = []
                namespacesMade = []
                resourcesMade = []
            }
            return (processesStarted, namespacesMade)
        }
        var problems: [String] = []
        stop(processes, problems: &problems)
        for ns in namespaces.reversed() {
            if let problem = Lab.deleteNamespace(ns.name) {
                problems.append(problem)
            }
        }
        if !keepLogs {
            try? FileManager.default.removeItem(atPath: logDirectory)
        }
        return problems
    }

    // MARK: - Internals shared by the extensions

    func ip(_ arguments: [String]) throws {
        try Command("ip", arguments, timeout: .seconds(10)).check()
    }

    func command(in namespace: Namespace, _ arguments: [String], timeout: Duration?) throws -> Command {
        try requireKnown(namespace)
        guard let program = arguments.first else {
            throw LabError(.invalidName, "no program given to run in \(namespace.shortName)")
        }
        // Resolve here: `ip netns exec` searches only its own PATH, which may lack sbin.
        let resolved = Command.which(program) ?? program
        return Command("ip", ["netns", "exec", namespace.name, resolved] + arguments.dropFirst(),
                       timeout: timeout)
    }

    func requireKnown(_ namespace: Namespace) throws {
        guard namespaces.contains(namespace) else {
            throw LabError(.unknownNamespace, "\(namespace.name) is not a namespace of lab \(prefix)")
        }
    }

    func record(_ resource: LabResource, _ update: () -> Void = {}) {
        locked {
            update()
            resourcesMade.append(resource)
        }
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// SIGTERM to all at once, one shared grace period, then SIGKILL to the rest.
    private func stop(_ processes: [ChildProcess], problems: inout [String]) {
        for process in processes {
            process.kill(signal: SIGTERM)
        }
        let deadline = ContinuousClock.now + processGrace
        for process in processes {
            let left = max(.zero, deadline - ContinuousClock.now)
            if process.waitForExit(timeout: left) { continue }
            process.kill(signal: SIGKILL)
            if !process.waitForExit(timeout: .seconds(5)) {
                problems.append("\(process) survived SIGKILL")
            }
        }
    }
}
