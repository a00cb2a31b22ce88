import Foundation
import LinuxNet

/// Core and the two edges of a ``TracerouteLab``, and the account whose prefix the target is in.
package final class TracerouteMoat: @unchecked Sendable {
    package let net: TracerouteLab
    package let moat: String
    package let dataDirectory: String
    package private(set) var core: ChildProcess?
    package private(set) var edges: [ChildProcess] = []
    package private(set) var token = ""
    package private(set) var account = ""
    static let coreURL = ["edge1": "http://198.18.1.1:7480", "edge2": "http://198.18.2.1:7480"]
    static let locations = ["edge1": "ams1", "edge2": "fra1"]

    package init(net: TracerouteLab, moat: String, dataDirectory: String) {
        self.net = net
        self.moat = moat
        self.dataDirectory = dataDirectory
    }

    /// Starts core, creates the locations, the account and its approved prefixes and tunnel, and
    /// enrols one edge per location (data plane off; BGP off, so AS numbers come from the lab's
    /// ASN file, except on the edges in `bgpEdges`, which peer with r1's BIRD: see
    /// ``TracerouteLab/startBIRD(dataDirectory:)``).
    package func start(bgpEdges: Set<String> = []) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        let asnPath = dataDirectory + "/asn.tsv"
        try TracerouteLab.asnFile.write(toFile: asnPath, atomically: true, encoding: .utf8)
        let coreProcess = try net.lab.start(in: try net.ns("core"), [moat, "core", "--data", dataDirectory + "/core", "--listen", "0.0.0.0:7480"])
        core = coreProcess
        try waitUntil("core listens", process: coreProcess) { Self.log(coreProcess).contains("listening on") }
        token = try String(contentsOfFile: dataDirectory + "/core/operator-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        account = try createdID(try client(["accounts", "create", "acme", "--json"]))
        for cidr in [TracerouteLab.accountPrefix, TracerouteLab.accountPrefix6] {
            let prefix = try createdID(try client(["prefixes", "create", cidr, "--account", account, "--json"]))
            try checked(try client(["prefixes", "update", prefix, "--status", "approved", "--account", account]))
        }
        try checked(try client(["tunnels", "create", "gre1", "--customer-endpoint", TracerouteLab.customerEndpoint,
                                "--moat-endpoint", TracerouteLab.moatEndpoint, "--interface-address", TracerouteLab.tunnelInterface,
                                "--health-check", "false", "--account", account]))
        for edge in ["edge1", "edge2"] {
            let location = Self.locations[edge]!
            try checked(try client(["locations", "create", location, "--name", location, "--region", "WEUR"]))
            let bgp = bgpEdges.contains(edge)
            if bgp {
                let peer = TracerouteLab.birdPeers[edge]!
                try checked(try client(["bgp-peers", "create", "r1", "--location", location, "--peer-address", peer.router,
                                        "--peer-asn", String(TracerouteLab.birdASN), "--local-asn", String(TracerouteLab.moatASN),
                                        "--hold-time", "9"]))
            }
            let enrolment = try json(try client(["edges", "create", "--location", location, "--json"]))
            guard let enroll = enrolment["enrollment_token"] as? String else { throw LabError(.processFailed, "no enrolment token: \(enrolment)") }
            edges.append(try net.lab.start(in: try net.ns(edge), [
                moat, "edge", "--core", Self.coreURL[edge]!, "--enroll", enroll, "--location", location, "--data", dataDirectory + "/" + edge,
                "--listen", "off", "--firewall", "off", "--ddos", "off", "--tunnels", "off", "--bgp", bgp ? "on" : "off", "--asn-file", asnPath, "--log-level", "info",
            ]))
        }
        try waitUntil("both edges are connected and run the approved prefixes and the tunnel", timeout: .seconds(30)) {
            let listed = try json(try client(["edges", "list", "--json"]))["items"] as? [[String: Any]] ?? []
            return listed.count == 2 && listed.allSatisfy { $0["connected"] as? Bool == true }
                && ["edge1", "edge2"].allSatisfy { edge in
                    let config = (try? String(contentsOfFile: dataDirectory + "/\(edge)/config.json", encoding: .utf8)) ?? ""
                    return [TracerouteLab.accountPrefix, TracerouteLab.accountPrefix6, TracerouteLab.customerEndpoint].allSatisfy(config.contains)
                }
        }
    }

    /// Terminates the lab's tunnel in the target namespace, as the customer's router would
    /// (`moat gre-endpoint`): the customer side of the interface address answers there.
    @discardableResult
    package func startCustomerRouter() throws -> ChildProcess {
        let spec = ["gre1", TracerouteLab.customerEndpoint, TracerouteLab.moatEndpoint, TracerouteLab.tunnelInterface].joined(separator: ",")
        let router = try net.lab.start(in: try net.ns("target"), [moat, "gre-endpoint", "--tunnel", spec])
        try waitUntil("the customer router's tunnel device is up", process: router) {
            try net.lab.exec(in: try net.ns("target"), ["ip", "-4", "addr", "show", "dev", "gre1"]).stdout.contains("10.100.0.1")
        }
        return router
    }

    /// `moat traceroute ARGS --json` from core's namespace, as the operator on the lab's account.
    package func traceroute(_ arguments: [String]) throws -> [String: Any] {
        let result = try client(["traceroute"] + arguments + ["--account", account, "--json"], timeout: .seconds(180))
        try checked(result)
        return try json(result)
    }

    @discardableResult
    package func client(_ arguments: [String], timeout: Duration = .seconds(30)) throws -> CommandResult {
        try net.lab.run(in: try net.ns("core"), ["env", "MOAT_URL=http://127.0.0.1:7480", "MOAT_TOKEN=\(token)", moat] + arguments, timeout: timeout)
    }

    package static func log(_ process: ChildProcess) -> String {
        (try? String(contentsOfFile: process.logPath, encoding: .utf8)) ?? ""
    }

    func waitUntil(_ what: String, timeout: Duration = .seconds(20), process: ChildProcess? = nil, _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? condition()) == true { return }
            if let process, !process.isRunning {
                throw LabError(.processFailed, "\(process) exited while waiting until \(what); its log:\n\(Self.log(process).suffix(4000))")
            }
            usleep(100_000)
        }
        throw LabError(.timedOut, "timed out after \(timeout) waiting until \(what)")
    }

    func checked(_ result: CommandResult) throws {
        guard result.succeeded else {
            throw LabError(.processFailed, "`\(result.commandLine)` failed (\(result.exitStatus)): \(result.stderr)\(result.stdout)")
        }
    }

    func json(_ result: CommandResult) throws -> [String: Any] {
        try checked(result)
        guard let object = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] else {
            throw LabError(.processFailed, "`\(result.commandLine)` answered no JSON object: \(result.stdout.prefix(500))")
        }
        return object
    }

    func createdID(_ result: CommandResult) throws -> String {
        guard let id = try json(result)["id"] as? String else { throw LabError(.processFailed, "`\(result.commandLine)` answered no id") }
        return id
    }
}
