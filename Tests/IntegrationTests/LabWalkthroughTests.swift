import Foundation
import LinuxNet
import NetLab
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The README's `moat lab` walkthrough, through the CLI as a user types it: the lab comes up,
/// the account's prefix, tunnels and routes go in through the API, the prefix is in BIRD's
/// table from both edges, the internet reaches the origin, a firewall rule blocks it, and when
/// one location's tunnel breaks the health matrix says so and that location withdraws while
/// the other carries the traffic.
@Suite(.serialized, .timeLimit(.minutes(5)), .onLabThreads)
struct LabWalkthroughTests {
    /// Not `Lab.projectPrefix` followed by a pid: other suites, running at the same time, clear
    /// stale labs of that form, and would clear a lab whose supervisor a test killed on purpose.
    static let nameBase = "moattlab"

    static func canRun(_ test: String) -> Bool {
        Requirements(Dictionary(EdgeNetworkLab.packages) { first, _ in first }).met("LabWalkthroughTests.\(test)")
    }

    /// `moat lab …` with the test's own state directory and namespace names.
    struct User {
        let stateDir: String

        @discardableResult
        func lab(_ arguments: [String], timeout: Duration = .seconds(60)) throws -> CommandResult {
            let words = [arguments[0], "--state-dir", stateDir, "--name-base", LabWalkthroughTests.nameBase] + arguments.dropFirst()
            return try Command(MoatBinary.path, ["lab"] + words, timeout: timeout).run()
        }

        /// `moat lab exec NODE -- …`, with `moat` meaning the binary under test.
        func exec(_ node: String, _ command: [String]) throws -> CommandResult {
            try lab(["exec", node, "--"] + command.map { $0 == "moat" ? MoatBinary.path : $0 })
        }

        func api(_ command: [String]) throws -> String {
            let result = try exec("core", ["moat"] + command)
            guard result.succeeded else { throw LabError(.processFailed, "moat \(command.joined(separator: " ")): \(result.stderr)") }
            return result.stdout
        }

        func created(_ command: [String]) throws -> String {
            let object = try JSONSerialization.jsonObject(with: Data(try api(command + ["--json"]).utf8)) as? [String: Any]
            guard let id = object?["id"] as? String else { throw LabError(.processFailed, "no id from moat \(command.joined(separator: " "))") }
            return id
        }

        var state: LabState? { LabState.load(from: stateDir) }

        func birdRoutes() throws -> String {
            let state = try #require(state)
            return try exec("upstream", ["birdc", "-s", state.dataDirectory + "/bird/bird.ctl", "show", "route", "203.0.113.0/24"]).stdout
        }

        func curl() throws -> CommandResult {
            try exec("internet", ["curl", "-s", "-m", "2", "http://203.0.113.10/"])
        }

        func waitUntil(_ what: String, timeout: Duration = .seconds(20), _ condition: () throws -> Bool) throws {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if (try? condition()) == true { return }
                usleep(200_000)
            }
            throw LabError(.timedOut, "timed out after \(timeout) waiting until \(what)")
        }
    }

    @Test func theWalkthroughWorksAndFailsOverToTheOtherLocation() async throws {
        guard Self.canRun("theWalkthroughWorksAndFailsOverToTheOtherLocation") else { return }
        let user = User(stateDir: MoatBinary.temporaryDirectory("lab").path)
        defer {
            _ = try? user.lab(["down"])
            try? FileManager.default.removeItem(atPath: user.stateDir)
        }
        let up = try user.lab(["up"], timeout: .seconds(240))
        #expect(up.succeeded, "moat lab up: \(up.stderr)")
        let again = try user.lab(["up"])
        #expect(!again.succeeded && again.stderr.contains("already running"), "a second lab up: \(again.stderr)")
        let status = try user.lab(["status"])
        #expect(status.stdout.contains("edge-ams1") && status.stdout.contains("Established"), "\(status.stdout)")

        let account = try user.created(["accounts", "create", "acme"])
        let prefix = try user.created(["prefixes", "create", "203.0.113.0/24", "--account", account])
        try user.api(["prefixes", "update", prefix, "--status", "approved", "--advertised", "true", "--account", account])
        try user.api(["tunnels", "create", "gre-ams1", "--customer-endpoint", "100.64.1.2", "--moat-endpoint", "100.64.1.1",
                      "--interface-address", "10.100.0.0/31", "--health-check-rate", "high", "--account", account])
        try user.api(["tunnels", "create", "gre-fra1", "--customer-endpoint", "100.64.2.2", "--moat-endpoint", "100.64.2.1",
                      "--interface-address", "10.100.0.2/31", "--health-check-rate", "high", "--account", account])
        try user.api(["routes", "create", "203.0.113.0/24", "--nexthop", "10.100.0.1", "--priority", "100", "--locations", "ams1", "--account", account])
        try user.api(["routes", "create", "203.0.113.0/24", "--nexthop", "10.100.0.3", "--priority", "100", "--locations", "fra1", "--account", account])

        try user.waitUntil("BIRD has the prefix from both edges") {
            let routes = try user.birdRoutes()
            return routes.contains("[ams1") && routes.contains("[fra1")
        }
        try user.waitUntil("the internet reaches the origin") { try user.curl().stdout.contains("hello from the origin") }

        // A firewall rule blocks the origin's port at every edge, and lifting it restores it.
        let rule = try user.created(["firewall", "rules", "create", "tcp.dstport == 80", "--action", "block", "--account", account])
        try user.waitUntil("the block rule takes effect") { !(try user.curl().succeeded) }
        try user.api(["firewall", "rules", "delete", rule, "--account", account])
        try user.waitUntil("the origin answers again") { try user.curl().stdout.contains("hello from the origin") }

        // Break the tunnel of the location BIRD prefers: it withdraws, the other carries on.
        let preferred = try user.birdRoutes().split(separator: "\n").first { $0.contains("*") }.map { $0.contains("[ams1") ? "ams1" : "fra1" }
        let broken = try #require(preferred)
        let other = broken == "ams1" ? "fra1" : "ams1"
        #expect(try user.exec("customer", ["ip", "link", "set", "gre-\(broken)", "down"]).succeeded)
        try user.waitUntil("the health matrix shows gre-\(broken) down at \(broken)") {
            try user.api(["tunnels", "health", "--account", account]).split(separator: "\n")
                .contains { $0.hasPrefix("gre-\(broken)") && $0.contains("down") }
        }
        try user.waitUntil("\(broken) withdrew the prefix") {
            let routes = try user.birdRoutes()
            return !routes.contains("[\(broken)") && routes.contains("[\(other)")
        }
        let why = try user.exec("edge-\(broken)", ["moat", "edge", "bgp"]).stdout
        #expect(why.contains("203.0.113.0/24: every tunnel of its routes is down"), "\(why)")
        try user.waitUntil("the internet reaches the origin through \(other)") { try user.curl().stdout.contains("hello from the origin") }
    }

    @Test func downRemovesALabWhoseSupervisorWasKilled() async throws {
        guard Self.canRun("downRemovesALabWhoseSupervisorWasKilled") else { return }
        let user = User(stateDir: MoatBinary.temporaryDirectory("lab").path)
        defer { try? FileManager.default.removeItem(atPath: user.stateDir) }
        #expect(try user.lab(["up"], timeout: .seconds(240)).succeeded)
        let state = try #require(user.state)
        kill(state.supervisorPID, SIGKILL)
        try user.waitUntil("the supervisor is gone") { !ProcessTable.isAlive(pid: state.supervisorPID) }
        #expect(Lab.listNamespaces().contains { $0.hasPrefix(state.prefix) }, "a killed supervisor leaves its namespaces")
        let down = try user.lab(["down"])
        #expect(down.succeeded, "moat lab down: \(down.stderr)")
        #expect(!Lab.listNamespaces().contains { $0.hasPrefix(state.prefix) })
        #expect(user.state == nil)
    }

    @Test func aBadTopologyIsRefusedBeforeAnythingIsMade() async throws {
        guard Self.canRun("aBadTopologyIsRefusedBeforeAnythingIsMade") else { return }
        let user = User(stateDir: MoatBinary.temporaryDirectory("lab").path)
        defer { try? FileManager.default.removeItem(atPath: user.stateDir) }
        let file = user.stateDir + "/topology.json"
        let cases = [
            (#"{"colour": "red"}"#, "colour: unknown field"),
            (#"{"locations": [{"name": "ams1", "uplink": "198.18.1.0/30", "underlay": "100.64.1.0/30", "management": "10.255.1.0/30"}, {"name": "ams1", "uplink": "198.18.2.0/30", "underlay": "100.64.2.0/30", "management": "10.255.2.0/30"}]}"#, "locations[1].name"),
            (#"{"locations": [{"name": "ams1", "uplink": "198.18.1.0/30", "underlay": "198.18.1.0/30", "management": "10.255.1.0/30"}]}"#, "locations[0].underlay"),
            (#"{"origin": "192.0.2.1"}"#, "origin"),
        ]
        // Only this lab's names: other suites make and remove namespaces meanwhile.
        func labNamespaces() -> [String] { Lab.listNamespaces().filter { $0.hasPrefix(LabWalkthroughTests.nameBase) } }
        let before = labNamespaces()
        for (text, field) in cases {
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            let result = try user.lab(["up", "--topology", file])
            #expect(!result.succeeded && result.stderr.contains(field), "\(text): \(result.stderr)")
        }
        #expect(labNamespaces() == before)
    }
}
