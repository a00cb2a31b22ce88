import Foundation
import LinuxNet
import NetLab
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// LinuxNet's command and process adapters, and NetLab's namespaces, links, routes and
/// cleanup. The lab tests need root; without it each prints one line saying so and passes.
@Suite(.serialized, .timeLimit(.minutes(1)), .onLabThreads)
struct NetLabTests {
    // MARK: - Command

    @Test func commandCapturesBothStreams() throws {
        let result = try Command.run("sh", ["-c", "echo hello; echo warning >&2"])
        #expect(result.succeeded)
        #expect(result.exitStatus == 0)
        #expect(result.stdout == "hello\n")
        #expect(result.stderr == "warning\n")
    }

    @Test func commandFailureCarriesStatusAndStderr() throws {
        let error = #expect(throws: CommandError.self) {
            try Command.check("sh", ["-c", "echo 'no such table' >&2; exit 3"])
        }
        #expect(error?.code == .failed)
        #expect(error?.exitStatus == 3)
        #expect(error?.stderr == "no such table\n")
        #expect(error?.commandLine.hasPrefix("sh -c ") == true)
        #expect(error?.description.contains("no such table") == true)

        // Not an error for run(): the caller reads the status.
        let result = try Command.run("sh", ["-c", "exit 4"])
        #expect(result.exitStatus == 4)
        #expect(!result.succeeded)
    }

    @Test func commandTimeoutKillsTheProgram() throws {
        let start = ContinuousClock.now
        let result = try Command.run("sleep", ["30"], timeout: .milliseconds(300))
        #expect(result.timedOut)
        #expect(!result.succeeded)
        #expect(ContinuousClock.now - start < .seconds(5))

        let error = #expect(throws: CommandError.self) {
            try Command.check("sleep", ["30"], timeout: .milliseconds(200))
        }
        #expect(error?.code == .timedOut)
    }

    @Test func commandSurvivesOutputLargerThanAPipe() throws {
        // 2 MB on each stream, far past a 64 KiB pipe buffer: a naive reader deadlocks here.
        let script = "head -c 2000000 /dev/zero | tr '\\000' a; head -c 2000000 /dev/zero | tr '\\000' b >&2"
        let result = try Command.check("sh", ["-c", script], timeout: .seconds(30))
        #expect(result.stdout.utf8.count == 2_000_000)
        #expect(result.stderr.utf8.count == 2_000_000)
        #expect(result.stdout.utf8.allSatisfy { $0 == UInt8(ascii: "a") })
    }

    @Test func childrenGetDefaultSignalsAndNoInheritedDescriptors() throws {
        // Swift concurrency threads block nearly all signals; a child inheriting that mask
        // ignores SIGTERM. Our descriptors (the test runner's pipes) must not leak either.
        let result = try Command.check("sh", ["-c", "grep -E '^Sig(Blk|Ign)' /proc/self/status; ls /proc/self/fd"])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // Signals 1-31; glibc keeps 32 and 33 for itself.
        func standardSignals(_ field: String) -> UInt64? {
            lines.first { $0.hasPrefix(field + ":") }
                .flatMap { UInt64($0.dropFirst(field.count + 1).trimmingCharacters(in: .whitespaces), radix: 16) }
                .map { $0 & 0x7fff_ffff }
        }
        #expect(standardSignals("SigBlk") == 0)
        #expect(standardSignals("SigIgn") == 0)
        let descriptors = Set(lines.compactMap { Int($0) })
        // 0-2, and the directory `ls` is reading.
        #expect(descriptors.isSubset(of: [0, 1, 2, 3]), "\(descriptors.sorted())")
    }

    @Test func commandFindsPrograms() throws {
        #expect(Command.which("sh") != nil)
        #expect(Command.which("moat-no-such-program") == nil)
        #expect(!Command.isInstalled("moat-no-such-program"))
        if FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") {
            // Found even where PATH leaves out sbin.
            #expect(Command.which("ip") != nil)
        }
        let error = #expect(throws: CommandError.self) {
            try Command.run("moat-no-such-program")
        }
        #expect(error?.code == .notFound)
    }

    // MARK: - ChildProcess

    @Test func childProcessLogsAndDiesOnKill() throws {
        let log = temporaryLogPath()
        defer { unlink(log) }
        let child = try ChildProcess.start("sh", ["-c", "echo started; exec sleep 30"], logPath: log)
        defer { child.kill(signal: SIGKILL) }
        try waitUntil("the child writes its log") { (try? String(contentsOfFile: log, encoding: .utf8)) == "started\n" }
        #expect(child.isRunning)
        #expect(!child.waitForExit(timeout: .milliseconds(100)))

        child.kill(signal: SIGKILL)
        #expect(child.waitForExit(timeout: .seconds(5)))
        #expect(!child.isRunning)
        #expect(child.terminationSignal == SIGKILL)
    }

    @Test func childProcessTerminateEscalatesToSIGKILL() throws {
        let log = temporaryLogPath()
        defer { unlink(log) }
        let child = try ChildProcess.start("sh", ["-c", "trap '' TERM; echo ready; sleep 30"], logPath: log)
        defer { child.kill(signal: SIGKILL) }
        try waitUntil("the child ignores SIGTERM") { (try? String(contentsOfFile: log, encoding: .utf8)) == "ready\n" }

        let start = ContinuousClock.now
        child.terminate(grace: .milliseconds(500))
        #expect(!child.isRunning)
        #expect(child.terminationSignal == SIGKILL)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    // MARK: - Lab

    @Test func pingAcrossVeth() async throws {
        guard labCanRun() else { return }
        try await withLab { lab in
            let a = try lab.addNamespace("a")
            let b = try lab.addNamespace("b")
            let link = try lab.addLink(a, interface: "eth0", to: b, interface: "eth0")
            try lab.addAddress("198.18.0.1/30", to: link.a)
            try lab.addAddress("198.18.0.2/30", to: link.b)
            try lab.addAddress("2001:2::1/64", to: link.a)
            try lab.addAddress("2001:2::2/64", to: link.b)

            let shown = try lab.exec(in: a, ["ip", "-o", "addr", "show", "dev", "eth0"])
            #expect(shown.stdout.contains("198.18.0.1/30"))

            let ping = try lab.run(in: a, ["ping", "-c", "1", "-W", "1", "198.18.0.2"], timeout: .seconds(10))
            #expect(ping.succeeded, "\(ping.stdout)\(ping.stderr)")
            #expect(ping.stdout.contains("1 received"))
            let ping6 = try lab.run(in: b, ["ping", "-6", "-c", "1", "-W", "1", "2001:2::1"], timeout: .seconds(10))
            #expect(ping6.succeeded, "\(ping6.stdout)\(ping6.stderr)")

            // The ping must be able to fail: with the link down there is no path.
            try lab.exec(in: a, ["ip", "link", "set", "eth0", "down"])
            let unreachable = try lab.run(in: a, ["ping", "-c", "1", "-W", "1", "198.18.0.2"], timeout: .seconds(10))
            #expect(!unreachable.succeeded)

            let longName = #expect(throws: LabError.self) {
                try lab.addLink(a, interface: "sixteen-chars-xx", to: b, interface: "eth1")
            }
            #expect(longName?.code == .invalidName)
        }
    }

    @Test func routesAndSysctlsThroughARouterNamespace() async throws {
        guard labCanRun() else { return }
        try await withLab { lab in
            let client = try lab.addNamespace("client")
            let router = try lab.addNamespace("router")
            let server = try lab.addNamespace("server")
            let left = try lab.addLink(client, interface: "eth0", to: router, interface: "left")
            let right = try lab.addLink(router, interface: "right", to: server, interface: "eth0")
            try lab.addAddress("198.18.1.1/30", to: left.a)
            try lab.addAddress("198.18.1.2/30", to: left.b)
            try lab.addAddress("198.18.2.1/30", to: right.a)
            try lab.addAddress("198.18.2.2/30", to: right.b)
            try lab.addDefaultRoute(via: "198.18.1.2", in: client)
            try lab.addRoute(to: "198.18.1.0/30", via: "198.18.2.1", in: server)

            // New namespaces may inherit the host's IPv4 forwarding: set both ways.
            try lab.setSysctl("net.ipv4.ip_forward", to: "0", in: router)
            let blocked = try lab.run(in: client, ["ping", "-c", "1", "-W", "1", "198.18.2.2"], timeout: .seconds(10))
            #expect(!blocked.succeeded)

            try lab.setSysctl("net.ipv4.ip_forward", to: "1", in: router)
            let forwarded = try lab.run(in: client, ["ping", "-c", "1", "-W", "1", "198.18.2.2"], timeout: .seconds(10))
            #expect(forwarded.succeeded, "\(forwarded.stdout)\(forwarded.stderr)")
            let sysctl = try lab.exec(in: router, ["sysctl", "-n", "net.ipv4.ip_forward"])
            #expect(sysctl.stdout == "1\n")

            #expect(lab.namespaces == [client, router, server])
            let described = lab.resources.map(\.description)
            #expect(described.contains("route default via 198.18.1.2 in client"))
            #expect(described.contains("sysctl net.ipv4.ip_forward=1 in router"))
        }
    }

    @Test func teardownStopsProcessesAndDeletesNamespaces() throws {
        guard labCanRun() else { return }
        let lab = Lab()
        let ns = try lab.addNamespace("proc")
        let sleeper = try lab.start(in: ns, ["sleep", "30"])
        #expect(sleeper.isRunning)
        #expect(try entered(sleeper, ns.name))
        #expect(Lab.listNamespaces().contains(ns.name))

        let start = ContinuousClock.now
        #expect(lab.teardown().isEmpty)
        #expect(ContinuousClock.now - start < .seconds(5))
        #expect(!sleeper.isRunning)
        #expect(sleeper.terminationSignal == SIGTERM)
        #expect(!Lab.listNamespaces().contains(ns.name))
        #expect(!FileManager.default.fileExists(atPath: lab.logDirectory))

        // Idempotent: nothing left to do, nothing fails.
        #expect(lab.teardown().isEmpty)
        #expect(lab.namespaces.isEmpty)
        #expect(lab.processes.isEmpty)
    }

    @Test func withLabTearsDownWhenTheBodyThrows() async throws {
        guard labCanRun() else { return }
        struct Boom: Error {}
        var names: [String] = []
        var sleeper: ChildProcess?
        do {
            try await withLab { lab in
                let a = try lab.addNamespace("a")
                let b = try lab.addNamespace("b")
                try lab.addLink(a, interface: "eth0", to: b, interface: "eth0")
                sleeper = try lab.start(in: b, ["sleep", "30"])
                names = lab.namespaces.map(\.name)
                throw Boom()
            }
            Issue.record("withLab did not rethrow the body's error")
        } catch is Boom {}

        #expect(names.count == 2)
        let left = Lab.listNamespaces()
        for name in names {
            #expect(!left.contains(name))
        }
        #expect(sleeper?.isRunning == false)
    }

    @Test func removeStaleDeletesOnlyNamespacesOfDeadProcesses() throws {
        guard labCanRun() else { return }
        let dead = try #require(unusedPID())
        let stale = "\(Lab.projectPrefix)\(dead)x1-stale"
        let live = "\(Lab.projectPrefix)\(getpid())x999999-live"
        try Command.check("ip", ["netns", "add", stale])
        try Command.check("ip", ["netns", "add", live])
        defer { _ = try? Command.run("ip", ["netns", "delete", live]) }
        defer { _ = try? Command.run("ip", ["netns", "delete", stale]) }
        // A crashed run may leave a peer running inside, which must not keep the namespace.
        let log = temporaryLogPath()
        defer { unlink(log) }
        let orphan = try ChildProcess.start("sleep", ["30"], namespace: stale, logPath: log)
        defer { orphan.kill(signal: SIGKILL) }
        try #require(try entered(orphan, stale), "the orphan never entered \(stale)")

        Lab.removeStale()

        let left = Lab.listNamespaces()
        #expect(!left.contains(stale))
        #expect(left.contains(live))
        #expect(orphan.waitForExit(timeout: .seconds(5)))
    }

    // MARK: - Helpers

    /// Whether `process` is inside `namespace` within 5 s: `ip netns exec` enters it just after
    /// the spawn returns.
    private func entered(_ process: ChildProcess, _ namespace: String) throws -> Bool {
        for _ in 0..<250 {
            if try Command.check("ip", ["netns", "pids", namespace]).stdout.split(separator: "\n").contains("\(process.pid)") { return true }
            usleep(20_000)
        }
        return false
    }

    /// Prints the one line saying why a lab test skips, and returns false, when it cannot run.
    private func labCanRun(_ test: String = #function) -> Bool {
        Requirements(Requirements.ip, ["ping": "iputils-ping", "sysctl": "procps"]).met("NetLabTests.\(test)")
    }

    private func temporaryLogPath() -> String {
        NSTemporaryDirectory() + "/moat-netlab-test-\(getpid())-\(UUID().uuidString).log"
    }

    private func waitUntil(_ what: String, _ condition: () -> Bool) throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                throw WaitTimeout(what: what)
            }
            usleep(20_000)
        }
    }

    /// A pid no process has now, from the top of the range where reuse comes last.
    private func unusedPID() -> Int32? {
        let text = (try? String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8)) ?? "32768"
        let pidMax = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 32768
        return stride(from: pidMax - 1, to: 2, by: -1).first { !ProcessTable.isAlive(pid: $0) }
    }

}
