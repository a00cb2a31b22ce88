import ArgumentParser
import Foundation
import LinuxNet
import MoatModel
import NetLab

#if canImport(Glibc)
import Glibc
#endif

struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "The whole edge network on this machine, in network namespaces: try Moat, watch it fail over.",
        discussion: """
        `moat lab up` (root) builds an internet client, an upstream router running BIRD 2 with a BGP session to
        every edge, one edge per location (ams1 and fra1 by default) running `moat edge`, a core, and a customer
        router terminating a GRE tunnel to each location with an HTTP origin behind it. Every name starts with
        the lab's prefix and every address lives inside the lab's namespaces: nothing routes to the outside.
        The README has a walkthrough.
        """,
        subcommands: [Up.self, Status.self, Exec.self, Down.self, Topology.self])

    struct StateOptions: ParsableArguments {
        @Option(help: "Where the running lab's state is kept.")
        var stateDir: String = "/run/moat-lab"

        @Option(help: ArgumentHelp("Start of the lab's namespace names.", visibility: .hidden))
        var nameBase: String = "moatlab"
    }

    struct Topology: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the built-in topology, or check a topology file.",
                                                        discussion: "Start from the printed file: moat lab topology > lab.json; moat lab up --topology lab.json")
        @Option(help: "Check this file instead of printing the default.") var check: String?

        func run() throws {
            guard let check else {
                print(LabTopology.default.json)
                return
            }
            let topology = try LabCommand.readTopology(check)
            print("\(check): \(topology.locations.count) location(s): \(topology.locations.map(\.name).joined(separator: ", "))")
        }
    }

    /// Reads and checks a topology file; the error names the file and the field.
    static func readTopology(_ path: String) throws -> LabTopology {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read the topology file \(path)") }
        do {
            return try LabTopology(json: try JSONValue.parse(data))
        } catch {
            throw CLIError("\(path): \(error.field.map { "\($0): " } ?? "")\(error.message)")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the lab's nodes, addresses, processes and BGP sessions.")
        @OptionGroup var state: StateOptions

        func run() throws {
            guard let lab = LabState.load(from: state.stateDir) else { throw CLIError("no lab is running (no \(LabState.path(state.stateDir)))") }
            guard lab.isAlive else { throw CLIError("the lab's supervisor (pid \(lab.supervisorPID)) is gone; `moat lab down` removes what is left") }
            print("lab \(lab.prefix), up since \(lab.startedAt.formatted(.iso8601))\(lab.ready ? "" : " (still building)")")
            var rows: [[String]] = []
            for node in lab.nodes {
                let addresses = (try? Command("ip", ["-n", node.namespace, "-4", "-br", "addr", "show"], timeout: .seconds(5)).check().stdout) ?? ""
                let list = addresses.split(separator: "\n").flatMap { $0.split(separator: " ", omittingEmptySubsequences: true).dropFirst(2) }
                    .filter { !$0.hasPrefix("127.") }
                let running = lab.processes.filter { $0.node == node.name }
                    .map { "\($0.role)(\(ProcessTable.isAlive(pid: $0.pid) ? "running" : "EXITED, see \($0.log)"))" }
                rows.append([node.name, node.namespace, list.joined(separator: " "), running.joined(separator: " ")])
            }
            print(Table(["NODE", "NAMESPACE", "ADDRESSES", "PROCESSES"], rows).render())
            if let upstream = lab.namespace(of: "upstream"),
               let sessions = try? Command("ip", ["netns", "exec", upstream, "birdc", "-s", lab.dataDirectory + "/bird/bird.ctl", "show", "protocols"],
                                           timeout: .seconds(5)).check().stdout {
                print("\nBGP sessions at the upstream router:")
                print(sessions.split(separator: "\n").filter { $0.contains(" BGP ") || $0.hasPrefix("Name") }.joined(separator: "\n"))
                let routes = (try? Command("ip", ["netns", "exec", upstream, "birdc", "-s", lab.dataDirectory + "/bird/bird.ctl", "show", "route"],
                                           timeout: .seconds(5)).check().stdout) ?? ""
                let lines = routes.split(separator: "\n").dropFirst(2)
                print("\nRoutes the upstream router learned (* = the one it uses):")
                print(lines.isEmpty ? "  none yet" : lines.joined(separator: "\n"))
            }
            print("\nlogs: \(lab.logDirectory); run commands with `moat lab exec NODE -- CMD` (in `core`, moat talks to the lab's API).")
        }
    }

    struct Exec: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a command in a node of the lab.",
            discussion: """
            Examples: moat lab exec internet -- curl http://203.0.113.10/
                      moat lab exec core -- moat accounts create acme     (MOAT_URL and MOAT_TOKEN are set for the lab's core)
            """)
        @OptionGroup var state: StateOptions
        @Argument(help: "The node: internet, upstream, core, edge-LOCATION, customer, origin.") var node: String
        @Argument(parsing: .captureForPassthrough, help: "The command, after --.") var command: [String] = []

        func run() throws {
            guard let lab = LabState.load(from: state.stateDir), lab.isAlive else { throw CLIError("no lab is running; start one with `moat lab up`") }
            guard let namespace = lab.namespace(of: node) else {
                throw CLIError("no node '\(node)' in the lab; nodes: \(lab.nodes.map(\.name).joined(separator: ", "))")
            }
            let words = command.first == "--" ? Array(command.dropFirst()) : command
            guard !words.isEmpty else { throw CLIError("give the command after --, e.g. moat lab exec \(node) -- ip addr") }
            guard let ip = Command.which("ip") else { throw CLIError("ip is missing: apt-get install iproute2") }
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "moat"
            let program = words[0] == "moat" ? exe : words[0]
            let arguments = [ip, "netns", "exec", namespace, "env", "MOAT_URL=\(lab.coreURL)", "MOAT_TOKEN=\(lab.operatorToken)", program]
                + words.dropFirst()
            let argv = arguments.map { strdup($0) } + [nil]
            execv(ip, argv)
            throw CLIError("cannot run \(words[0]): \(String(cString: strerror(errno)))")
        }
    }
}
