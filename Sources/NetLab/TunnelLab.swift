import Foundation
import LinuxNet

#if canImport(Glibc)
import Glibc
#endif

/// A customer network behind Moat's GRE tunnels, in four namespaces of a ``Lab``:
///
/// ```
/// client ──eth0── edge ──wan0══ underlay ══wan0── customer ──lan0── origin
/// 198.18.1.2      moat up       198.51.100.1/30   moat gre-endpoint   203.0.113.10 (lo)
///                 --tunnels on                    192.0.2.N: tunnel N's endpoint
/// ```
///
/// The edge runs `moat up` (core and one edge at location `local`) with the GRE data path
/// on; the customer router runs `moat gre-endpoint` with one TUN device per tunnel (`tunN`,
/// inside address 10.100.0.(2N−1)). The customer side keeps an nftables table of its own
/// (see `TunnelLab+Customer.swift`) that marks what each tunnel delivers with DSCP class
/// selector N, counts GRE per tunnel on the underlay, and can cut a tunnel or make it lossy.
///
/// Used by the integration tests and `bench/tunnels`; everything goes away with the lab.
package final class TunnelLab: @unchecked Sendable {
    /// One tunnel of the lab, numbered from 1.
    package struct Tunnel: Hashable, Sendable {
        package let number: Int
        package var name: String { "tun\(number)" }
        /// The customer router's public address: the outer destination of what the edge sends.
        package var customerEndpoint: String { "192.0.2.\(number)" }
        /// The /31 inside the tunnel: the edge takes the even address, the customer the odd one.
        package var interfaceNetwork: String { "10.100.0.\(2 * (number - 1))/31" }
        package var edgeAddress: String { "10.100.0.\(2 * (number - 1))" }
        package var customerAddress: String { "10.100.0.\(2 * number - 1)" }
        /// What the customer side marks this tunnel's deliveries with: class selector N.
        package var dscp: Int { 8 * number }
    }

    package static let clientAddress = "198.18.1.2"
    package static let moatEndpoint = "198.51.100.1"
    package static let customerUnderlayAddress = "198.51.100.2"
    package static let originAddress = "203.0.113.10"
    package static let originPrefix = "203.0.113.0/24"
    package static let apiURL = "http://127.0.0.1:7480"

    package let lab: Lab
    /// The `moat` executable.
    package let moat: String
    package let tunnels: [Tunnel]
    package let client: Namespace
    package let edge: Namespace
    package let customer: Namespace
    package let origin: Namespace
    /// `moat up` in `edge` and `moat gre-endpoint` in `customer`, once started.
    package private(set) var core: ChildProcess?
    package private(set) var endpoint: ChildProcess?
    /// The operator token `moat up` wrote, and the account the lab's tunnels belong to.
    package private(set) var token = ""
    package private(set) var account = ""
    /// The origin's prefix (`originPrefix`), approved by the operator.
    package private(set) var prefixID = ""
    /// Tunnel IDs the API gave, by tunnel number.
    package var tunnelIDs: [Int: String] { idLock.withLock { ids } }

    private let idLock = NSLock()
    private var ids: [Int: String] = [:]

    func remember(_ id: String, of tunnel: Tunnel) {
        idLock.withLock { ids[tunnel.number] = id }
    }

    var dataDirectory: String { lab.logDirectory + "/moat-data" }

    /// Builds the namespaces, links, addresses and the customer side's nftables table, with
    /// `tunnelCount` tunnels planned (1...9). Nothing of Moat runs yet.
    package init(lab: Lab, moat: String, tunnelCount: Int) throws {
        precondition((1...9).contains(tunnelCount), "a TunnelLab has 1 to 9 tunnels")
        self.lab = lab
        self.moat = moat
        tunnels = (1...tunnelCount).map(Tunnel.init(number:))
        client = try lab.addNamespace("client")
        edge = try lab.addNamespace("edge")
        customer = try lab.addNamespace("customer")
        origin = try lab.addNamespace("origin")

        let access = try lab.addLink(client, interface: "eth0", to: edge, interface: "eth0")
        let underlay = try lab.addLink(edge, interface: "wan0", to: customer, interface: "wan0")
        let inside = try lab.addLink(customer, interface: "lan0", to: origin, interface: "eth0")
        try lab.addAddress("\(Self.clientAddress)/30", to: access.a)
        try lab.addAddress("198.18.1.1/30", to: access.b)
        try lab.addAddress("\(Self.moatEndpoint)/30", to: underlay.a)
        try lab.addAddress("\(Self.customerUnderlayAddress)/30", to: underlay.b)
        for tunnel in tunnels {
            try lab.addAddress("\(tunnel.customerEndpoint)/32", to: underlay.b)
        }
        try lab.addAddress("198.18.3.1/30", to: inside.a)
        try lab.addAddress("198.18.3.2/30", to: inside.b)
        try lab.exec(in: origin, ["ip", "addr", "add", "\(Self.originAddress)/32", "dev", "lo"])

        for ns in [edge, customer] {
            try lab.setSysctl("net.ipv4.ip_forward", to: "1", in: ns)
            // Traffic comes back through whichever tunnel carried it: no reverse-path filter.
            try lab.setSysctl("net.ipv4.conf.all.rp_filter", to: "0", in: ns)
            try lab.setSysctl("net.ipv4.conf.default.rp_filter", to: "0", in: ns)
        }
        try lab.addDefaultRoute(via: "198.18.1.1", in: client)
        try lab.addRoute(to: "192.0.2.0/24", via: Self.customerUnderlayAddress, in: edge)
        try lab.addRoute(to: Self.originPrefix, via: "198.18.3.2", in: customer)
        try lab.addDefaultRoute(via: "198.18.3.1", in: origin)
        try installCustomerTable()
    }

    // MARK: - Processes

    /// Starts `moat gre-endpoint` in `customer` with every tunnel, waits until each TUN
    /// device has its address, and routes the client's network back through tunnel 1 (then
    /// tunnel 2, ...: kernel metrics 100, 200, ...).
    package func startEndpoint() throws {
        var arguments = [moat, "gre-endpoint"]
        for tunnel in tunnels {
            arguments += ["--tunnel", "\(tunnel.name),\(tunnel.customerEndpoint),\(Self.moatEndpoint),\(tunnel.interfaceNetwork)"]
        }
        let process = try lab.start(in: customer, arguments)
        endpoint = process
        for tunnel in tunnels {
            try waitUntil("\(tunnel.name) has \(tunnel.customerAddress) in the customer namespace", process: process) {
                try lab.run(in: customer, ["ip", "-o", "-4", "addr", "show", "dev", tunnel.name]).stdout
                    .contains(" \(tunnel.customerAddress)/")
            }
            try lab.exec(in: customer, ["ip", "link", "set", tunnel.name, "up"])
            try lab.exec(in: customer, ["ip", "route", "add", "198.18.1.0/30", "dev", tunnel.name,
                                        "metric", String(100 * tunnel.number)])
        }
    }

    /// Starts `moat up` in `edge` with the tunnels data path on (and the firewall off), waits
    /// for its API, reads the operator token and creates the account (`acme`) with the
    /// origin's prefix approved.
    package func startEdge(extraArguments: [String] = []) throws {
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try launch(extraArguments)
        token = try String(contentsOfFile: dataDirectory + "/operator-token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        account = try createdID(try client(["accounts", "create", "acme", "--json"]))
        prefixID = try createdID(try client(["prefixes", "create", Self.originPrefix, "--account", account, "--json"]))
        try checked(try client(["prefixes", "update", prefixID, "--status", "approved", "--account", account]))
    }

    /// Stops `moat up` with `signal` (SIGTERM: a graceful stop; SIGKILL: a crash) and, unless
    /// `startAgain` is false, starts it again on the same data directory.
    package func restartEdge(signal: Int32, startAgain: Bool = true, extraArguments: [String] = []) throws {
        if let core {
            core.kill(signal: signal)
            guard core.waitForExit(timeout: .seconds(15)) else {
                throw LabError(.timedOut, "\(core) did not exit within 15 s of signal \(signal)")
            }
        }
        if startAgain { try launch(extraArguments) }
    }

    private func launch(_ extraArguments: [String]) throws {
        let process = try lab.start(in: edge, [moat, "up", "--data", dataDirectory, "--listen", "127.0.0.1:7480",
                                               "--tunnels", "on", "--firewall", "off", "--telemetry-interval", "0.5"]
                                        + extraArguments)
        core = process
        try waitUntil("moat up listens", process: process) { Self.log(process).contains("listening on") }
    }

    /// Runs a `moat` client command against the lab's API as the operator.
    @discardableResult
    package func client(_ arguments: [String]) throws -> CommandResult {
        try lab.run(in: edge, ["env", "MOAT_URL=\(Self.apiURL)", "MOAT_TOKEN=\(token)", moat] + arguments,
                    timeout: .seconds(30))
    }

    /// The text `process` has logged so far.
    package static func log(_ process: ChildProcess) -> String {
        (try? String(contentsOfFile: process.logPath, encoding: .utf8)) ?? ""
    }

    /// Polls `condition` every 50 ms; throws after `timeout`, or at once if `process` exits.
    package func waitUntil(
        _ what: String, timeout: Duration = .seconds(20), process: ChildProcess? = nil, _ condition: () throws -> Bool
    ) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? condition()) == true { return }
            if let process, !process.isRunning {
                throw LabError(.processFailed, "\(process) exited while waiting until \(what); its log:\n\(Self.log(process).suffix(4000))")
            }
            usleep(50_000)
        }
        throw LabError(.timedOut, "timed out after \(timeout) waiting until \(what)")
    }

    func checked(_ result: CommandResult) throws {
        guard result.succeeded else {
            throw LabError(.processFailed, "`\(result.commandLine)` failed (\(result.exitStatus)): \(result.stderr)\(result.stdout)")
        }
    }

    func createdID(_ result: CommandResult) throws -> String {
        try checked(result)
        let object = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any]
        guard let id = object?["id"] as? String else {
            throw LabError(.processFailed, "`\(result.commandLine)` answered no id: \(result.stdout)")
        }
        return id
    }
}
