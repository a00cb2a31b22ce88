import Foundation
import LinuxNet
import MoatModel

/// Starting the lab's programs, in dependency order: core, then the edges it enrols (with
/// their BGP peer), BIRD, the customer router, the origin.
extension EdgeNetworkLab {
    package func start(timeout: Duration = .seconds(60)) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try startCore(timeout: timeout)
        for (index, location) in topology.locations.enumerated() {
            try provision(location, index: index)
        }
        try startBIRD()
        try startCustomer(timeout: timeout)
        try startOrigin()
        try waitUntil("every edge applied its config", timeout: timeout) {
            try topology.locations.allSatisfy { location in
                let status = try lab.run(in: edges[location.name]!, ["curl", "-s", "http://127.0.0.1:7481/health"]).stdout
                return status.contains("\"applied_version\"")
            }
        }
    }

    /// Runs a `moat` client command in the core's namespace as the operator.
    @discardableResult
    package func client(_ arguments: [String]) throws -> CommandResult {
        try lab.run(in: core, ["env", "MOAT_URL=\(Self.coreURL)", "MOAT_TOKEN=\(operatorToken)", moat] + arguments, timeout: .seconds(30))
    }

    /// `birdc` on the upstream router.
    package func birdc(_ command: String) throws -> String {
        try lab.run(in: upstream, ["birdc", "-s", dataDirectory + "/bird/bird.ctl"] + command.split(separator: " ").map(String.init)).stdout
    }

    /// Polls `condition` every 100 ms until `timeout`.
    package func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? condition()) == true { return }
            for (role, process) in processes where !process.isRunning {
                let log = (try? String(contentsOfFile: process.logPath, encoding: .utf8)) ?? ""
                throw LabError(.processFailed, "\(role) exited while waiting until \(what); its log:\n\(log.suffix(3000))")
            }
            usleep(100_000)
        }
        throw LabError(.timedOut, "timed out after \(timeout) waiting until \(what)")
    }

    private func startCore(timeout: Duration) throws {
        let directory = dataDirectory + "/core"
        let process = try lab.start(in: core, [moat, "core", "--data", directory, "--listen", "0.0.0.0:7480"])
        processes["core"] = process
        try waitUntil("core listens", timeout: timeout) {
            guard FileManager.default.fileExists(atPath: directory + "/operator-token") else { return false }
            let code = try lab.run(in: core, ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "\(Self.coreURL)/v1/health"]).stdout
            return code == "200"
        }
        operatorToken = try String(contentsOfFile: directory + "/operator-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The location, its edge's enrolment, its upstream router as BGP peer; then the edge.
    private func provision(_ location: LabTopology.Location, index: Int) throws {
        try checked(client(["locations", "create", location.name, "--region", location.region]))
        let enrolment = try checked(client(["edges", "create", "--location", location.name, "--name", "edge-\(location.name)", "--json"]))
        let object = try JSONSerialization.jsonObject(with: Data(enrolment.stdout.utf8)) as? [String: Any]
        guard let token = object?["enrollment_token"] as? String else {
            throw LabError(.processFailed, "no enrolment token in: \(enrolment.stdout)")
        }
        try checked(client(["bgp-peers", "create", "upstream", "--location", location.name, "--peer-address", "\(location.uplink.host(1))",
                            "--peer-asn", String(topology.upstreamASN), "--local-asn", String(location.asn), "--hold-time", "9"]))
        let process = try lab.start(in: edges[location.name]!, [
            moat, "edge", "--core", "http://\(location.management.host(1)):7480", "--enroll", token, "--location", location.name,
            "--data", dataDirectory + "/edge-\(location.name)", "--listen", "127.0.0.1:7481", "--tunnels", "on", "--firewall", "on",
            "--telemetry-interval", "1",
        ])
        processes["edge-\(location.name)"] = process
    }

    private func startBIRD() throws {
        let directory = dataDirectory + "/bird"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = """
        router id \(topology.internet.host(1));
        log "\(directory)/bird.log" all;
        protocol device { scan time 2; }
        # The best path to each customer prefix goes into the router's kernel, so the internet's
        # packets follow BGP.
        protocol kernel { ipv4 { export all; }; }

        """
        for location in topology.locations {
            config += """
            protocol bgp \(location.name) {
                local \(location.uplink.host(1)) as \(topology.upstreamASN);
                neighbor \(location.uplink.host(2)) as \(location.asn);
                passive on;
                hold time 9;
                ipv4 { import all; export none; };
            }

            """
        }
        try config.write(toFile: directory + "/bird.conf", atomically: true, encoding: .utf8)
        processes["bird"] = try lab.start(in: upstream, ["bird", "-f", "-c", directory + "/bird.conf", "-s", directory + "/bird.ctl",
                                                          "-P", directory + "/bird.pid"])
    }

    /// `moat gre-endpoint` with one tunnel per location; the internet's network goes back
    /// through the first location's tunnel, then the next (kernel metrics 100, 200, ...).
    private func startCustomer(timeout: Duration) throws {
        var arguments = [moat, "gre-endpoint"]
        for (index, location) in topology.locations.enumerated() {
            arguments += ["--tunnel", "\(Self.tunnelName(location.name)),\(location.underlay.host(2)),\(location.underlay.host(1)),\(topology.tunnelNetwork(index))"]
        }
        processes["gre-endpoint"] = try lab.start(in: customer, arguments)
        for (index, location) in topology.locations.enumerated() {
            let device = Self.tunnelName(location.name)
            try waitUntil("\(device) is up on the customer router", timeout: timeout) {
                try lab.run(in: customer, ["ip", "-o", "-4", "addr", "show", "dev", device]).stdout.contains("\(topology.tunnelNetwork(index).host(1))/")
            }
            try lab.exec(in: customer, ["ip", "link", "set", device, "up"])
            try lab.exec(in: customer, ["ip", "route", "add", "\(topology.internet)", "dev", device, "metric", String(100 * (index + 1))])
        }
    }

    private func startOrigin() throws {
        let site = dataDirectory + "/origin"
        try FileManager.default.createDirectory(atPath: site, withIntermediateDirectories: true)
        try "hello from the origin \(topology.origin)\n".write(toFile: site + "/index.html", atomically: true, encoding: .utf8)
        processes["origin-http"] = try lab.start(in: origin, ["/usr/bin/python3", "-m", "http.server", "80", "--bind", "\(topology.origin)",
                                                              "--directory", site])
    }

    @discardableResult
    private func checked(_ result: CommandResult) throws -> CommandResult {
        guard result.succeeded else {
            throw LabError(.processFailed, "`\(result.commandLine)` failed (\(result.exitStatus)): \(result.stderr)\(result.stdout)")
        }
        return result
    }
}
