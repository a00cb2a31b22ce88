import ArgumentParser
import Dispatch
import Foundation
import LinuxNet
import NetLab

#if canImport(Glibc)
import Glibc
#endif

extension LabCommand {
    struct Up: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build the lab and start everything in it (root).",
            discussion: "It returns once everything runs; a supervisor process holds the lab until `moat lab down`. With --foreground it holds the lab itself until Ctrl-C.")
        @Option(help: "A topology file (see `moat lab topology`); default: the built-in one.") var topology: String?
        @Flag(help: "Stay in the foreground and take the lab down on Ctrl-C or SIGTERM.") var foreground = false
        @Option(help: "Seconds to wait for everything to run.") var timeout: Int = 180
        @OptionGroup var state: StateOptions

        func run() throws {
            // Everything is checked before anything is made.
            guard SystemUser.isRoot else { throw CLIError("moat lab up needs root: it creates network namespaces") }
            let missing = EdgeNetworkLab.missingPackages()
            if !missing.isEmpty {
                let packages = Array(Set(missing.map(\.package))).sorted()
                throw CLIError("missing \(missing.map(\.program).joined(separator: ", ")): apt-get install \(packages.joined(separator: " "))")
            }
            let plan = try topology.map(LabCommand.readTopology) ?? LabTopology.default
            if let running = LabState.load(from: state.stateDir), running.isAlive {
                throw CLIError("a lab is already running (\(running.prefix), supervisor pid \(running.supervisorPID), since \(running.startedAt.formatted(.iso8601))); `moat lab down` first")
            }
            if foreground { return try supervise(plan) }
            try startSupervisor()
        }

        /// Starts `moat lab up --foreground` in the background and waits for it to report.
        private func startSupervisor() throws {
            try FileManager.default.createDirectory(atPath: state.stateDir, withIntermediateDirectories: true)
            LabState.remove(from: state.stateDir)
            let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
            var arguments = ["lab", "up", "--foreground", "--state-dir", state.stateDir, "--name-base", state.nameBase, "--timeout", String(timeout)]
            if let topology { arguments += ["--topology", topology] }
            let log = state.stateDir + "/supervisor.log"
            try? FileManager.default.removeItem(atPath: log)
            let supervisor = try ChildProcess.start(exe, arguments, logPath: log)
            print("building the lab (log: \(log)) ...")
            let deadline = Date().addingTimeInterval(Double(timeout + 30))
            while Date() < deadline {
                if let lab = LabState.load(from: state.stateDir), lab.supervisorPID == supervisor.pid {
                    if let error = lab.error { throw CLIError("the lab did not come up: \(error)") }
                    if lab.ready {
                        print("the lab is up: \(lab.nodes.count) nodes, prefix \(lab.prefix)")
                        print("next: moat lab status; moat lab exec core -- moat accounts create acme (see the README walkthrough); moat lab down")
                        return
                    }
                }
                if !supervisor.isRunning {
                    let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                    throw CLIError("the lab did not come up; the supervisor's log:\n\(text.suffix(3000))")
                }
                usleep(200_000)
            }
            supervisor.kill(signal: SIGTERM)
            throw CLIError("the lab was not up within \(timeout + 30) s; see \(log)")
        }

        /// Builds the lab, records it, and holds it until SIGTERM or SIGINT.
        private func supervise(_ plan: LabTopology) throws {
            signal(SIGHUP, SIG_IGN)
            Lab.removeStale(prefix: state.nameBase)
            let lab = Lab(base: state.nameBase, keepLogs: true)
            let dataDirectory = lab.logDirectory + "/data"
            var record = LabState(prefix: lab.prefix, supervisorPID: getpid(), startedAt: Date(), dataDirectory: dataDirectory,
                                  logDirectory: lab.logDirectory, coreURL: EdgeNetworkLab.coreURL)
            try record.save(in: state.stateDir)
            let stop = StopSignals()
            do {
                let exe = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
                let network = try EdgeNetworkLab(lab: lab, topology: plan, moat: exe, dataDirectory: dataDirectory)
                record.nodes = network.nodes.map { LabState.Node(name: $0.name, namespace: $0.namespace.name) }
                try record.save(in: state.stateDir)
                try network.start(timeout: .seconds(timeout))
                record.operatorToken = network.operatorToken
                record.processes = network.processes.map { role, process in
                    let node = network.nodes.first { $0.namespace.name == process.namespace }?.name ?? ""
                    return LabState.Process(role: role, node: node, pid: process.pid, log: process.logPath)
                }.sorted { $0.role < $1.role }
                record.ready = true
                try record.save(in: state.stateDir)
                print("the lab is up (\(lab.prefix)); SIGTERM or Ctrl-C takes it down")
            } catch {
                record.error = "\(error)"
                try? record.save(in: state.stateDir)
                lab.teardown()
                throw CLIError("the lab did not come up: \(error)")
            }
            stop.wait()
            print("taking the lab down")
            let failures = lab.teardown()
            LabState.remove(from: state.stateDir)
            if !failures.isEmpty { throw CLIError("some of the lab could not be removed: \(failures.joined(separator: "; "))") }
        }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove everything the lab made, also after a crash.",
            discussion: "Stops the supervisor, which removes its namespaces, links and processes; namespaces of a lab whose supervisor died are removed by their prefix.")
        @OptionGroup var state: StateOptions

        func run() throws {
            guard SystemUser.isRoot else { throw CLIError("moat lab down needs root: it deletes network namespaces") }
            if let lab = LabState.load(from: state.stateDir), lab.isAlive {
                kill(lab.supervisorPID, SIGTERM)
                let deadline = Date().addingTimeInterval(30)
                while ProcessTable.isAlive(pid: lab.supervisorPID) && Date() < deadline { usleep(100_000) }
                if ProcessTable.isAlive(pid: lab.supervisorPID) { kill(lab.supervisorPID, SIGKILL); usleep(200_000) }
            }
            let removed = Lab.removeStale(prefix: state.nameBase)
            LabState.remove(from: state.stateDir)
            // Namespaces of labs whose maker still runs (another lab, a test run) are not ours to remove.
            let left = Lab.listNamespaces().filter { name in
                Lab.ownerPID(of: name, prefix: state.nameBase).map { !ProcessTable.isAlive(pid: $0) } ?? false
            }
            if !left.isEmpty {
                throw CLIError("still there (another live lab made them?): \(left.joined(separator: ", "))")
            }
            print(removed.isEmpty ? "the lab is down" : "the lab is down; removed leftovers: \(removed.joined(separator: ", "))")
        }
    }
}
