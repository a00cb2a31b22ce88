import Foundation
import LinuxNet
import NetLab
import Testing

/// The DDoS tests' network: `net` (the Internet: a legitimate client at 198.51.100.10, and
/// hping3 spoofing random sources) → `edge` (a router running `moat up --ddos on`, answers to
/// spoofed sources end in a blackhole) → `host` (the protected addresses on its loopback, a TCP
/// service on port 80 and a UDP echo on port 7). Core has account `acme` with 203.0.113.0/24
/// approved.
struct DDoSEdgeLab {
    static let apiURL = "http://127.0.0.1:7480"
    static let clientAddress = "198.51.100.10"

    let lab: Lab
    let outside: Namespace
    let edge: Namespace
    let host: Namespace
    let up: ChildProcess
    let scripts: String
    let token: String
    let account: String

    init(lab: Lab, hostAddresses: [String], firewall: Bool) throws {
        self.lab = lab
        outside = try lab.addNamespace("net")
        edge = try lab.addNamespace("edge")
        host = try lab.addNamespace("host")
        let ingress = try lab.addLink(outside, interface: "eth0", to: edge, interface: "in0")
        let inside = try lab.addLink(edge, interface: "out0", to: host, interface: "eth0")
        try lab.addAddress(Self.clientAddress + "/24", to: ingress.a)
        try lab.addAddress("198.51.100.1/24", to: ingress.b)
        try lab.addAddress("192.0.2.1/30", to: inside.a)
        try lab.addAddress("192.0.2.2/30", to: inside.b)
        for address in hostAddresses { try lab.exec(in: host, ["ip", "addr", "add", address + "/32", "dev", "lo"]) }
        try lab.addDefaultRoute(via: "198.51.100.1", in: outside)
        try lab.addDefaultRoute(via: "192.0.2.1", in: host)
        try lab.addRoute(to: "203.0.113.0/24", via: "192.0.2.2", in: edge)
        try lab.exec(in: edge, ["ip", "route", "add", "blackhole", "default"])
        try lab.setSysctl("net.ipv4.ip_forward", to: "1", in: edge)
        for key in ["all", "default", "in0"] { try lab.setSysctl("net.ipv4.conf.\(key).rp_filter", to: "0", in: edge) }

        scripts = lab.logDirectory + "/ddos"
        try FileManager.default.createDirectory(atPath: scripts, withIntermediateDirectories: true)
        try DDoSEdgeTests.server.write(toFile: scripts + "/server.py", atomically: true, encoding: .utf8)
        try DDoSEdgeTests.client.write(toFile: scripts + "/client.py", atomically: true, encoding: .utf8)
        _ = try lab.start(in: host, [Lab.python, scripts + "/server.py"])

        let data = lab.logDirectory + "/moat-data"
        up = try lab.start(in: edge, [MoatBinary.path, "up", "--data", data, "--listen", "127.0.0.1:7480", "--edge-listen", "off",
                                      "--tunnels", "off", "--bgp", "off", "--proxy", "off", "--firewall", firewall ? "on" : "off", "--ddos", "on",
                                      "--telemetry-interval", "0.5"])
        let started = up
        try Self.wait("moat up listens", up: started) { MoatBinary.log(started).contains("listening on") }
        token = try String(contentsOfFile: data + "/operator-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let run: ([String]) throws -> CommandResult = { [edge, token] arguments in
            try lab.run(in: edge, ["env", "MOAT_URL=\(Self.apiURL)", "MOAT_TOKEN=\(token)", MoatBinary.path] + arguments, timeout: .seconds(30))
        }
        func created(_ arguments: [String]) throws -> String {
            let result = try run(arguments + ["--json"])
            guard let id = jsonObject(result.stdout)["id"] as? String else { throw LabError(.processFailed, "\(arguments): \(result.stderr)") }
            return id
        }
        account = try created(["accounts", "create", "acme"])
        let prefix = try created(["prefixes", "create", "203.0.113.0/24", "--account", account])
        let approved = try run(["prefixes", "update", prefix, "--status", "approved", "--account", account])
        guard approved.succeeded else { throw LabError(.processFailed, "prefix approval: \(approved.stderr)") }
    }

    /// A `moat` command against the lab's core, as the operator.
    func moat(_ arguments: [String]) throws -> CommandResult {
        try lab.run(in: edge, ["env", "MOAT_URL=\(Self.apiURL)", "MOAT_TOKEN=\(token)", MoatBinary.path] + arguments, timeout: .seconds(30))
    }

    /// Only the managed rules at work: no automatic mitigation for the account, and the
    /// operator's managed rules set to `managed` (JSON).
    func managedRulesOnly(_ managed: String) throws {
        for arguments in [["ddos", "account", "set", "--account", account, "--body", #"{"automatic_mitigation": false}"#],
                          ["ddos", "set", "--managed", managed]] {
            let result = try moat(arguments)
            guard result.succeeded else { throw LabError(.processFailed, "moat \(arguments.joined(separator: " ")): \(result.stderr)") }
        }
    }

    func nft(_ table: String, in namespace: Namespace? = nil) throws -> String {
        try lab.run(in: namespace ?? edge, ["nft", "list", "table", "inet", table]).stdout
    }

    /// Polls every 50 ms; fails at once when `moat up` exited, with its log. Sleeps without
    /// holding a thread: the tests running beside this one share a small pool.
    func wait(_ what: String, timeout: Duration = .seconds(20), _ condition: () throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? condition()) == true { return }
            guard up.isRunning else { throw LabError(.processFailed, "moat up exited: \(MoatBinary.log(up).suffix(3000))") }
            try await Task.sleep(for: .milliseconds(50))
        }
        // Once more: a late wake-up alone is no failure.
        if (try? condition()) == true { return }
        throw LabError(.timedOut, "timed out after \(timeout) waiting until \(what); moat up's log:\n\(MoatBinary.log(up).suffix(3000))")
    }

    /// Starts tcpdump on the edge's ingress, for the first packet matching `filter`; once it
    /// listens, ``firstPacketTime(_:)`` reads when that packet came (the kernel's timestamp).
    func watchFirstPacket(_ filter: String) async throws -> ChildProcess {
        let dump = try lab.start(in: edge, ["timeout", "60", "tcpdump", "-i", "in0", "-n", "-l", "-tt", "-c", "1", filter])
        try await wait("tcpdump listens for \(filter)") { MoatBinary.log(dump).contains("listening on") }
        return dump
    }

    static func firstPacketTime(_ dump: ChildProcess) -> Date? {
        for line in MoatBinary.log(dump).split(separator: "\n") {
            if let stamp = line.split(separator: " ").first, let seconds = Double(stamp) { return Date(timeIntervalSince1970: seconds) }
        }
        return nil
    }

    /// Whether `process` exited within `timeout`, polled without holding a thread.
    func exited(_ process: ChildProcess, within timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return !process.isRunning
    }

    static func wait(_ what: String, timeout: Duration = .seconds(20), up: ChildProcess, _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? condition()) == true { return }
            guard up.isRunning else { throw LabError(.processFailed, "moat up exited: \(MoatBinary.log(up).suffix(3000))") }
            usleep(50_000)
        }
        if (try? condition()) == true { return }
        throw LabError(.timedOut, "timed out after \(timeout) waiting until \(what); moat up's log:\n\(MoatBinary.log(up).suffix(3000))")
    }
}
