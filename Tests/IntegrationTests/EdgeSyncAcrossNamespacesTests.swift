import Foundation
import LinuxNet
import NetLab
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `moat core` in one network namespace, `moat edge` in another, driven by the CLI from the
/// edge's side: the edge enrols, applies what the API writes, survives core's death on its
/// last-known-good config, and reconnects when core returns.
@Suite(.serialized, .timeLimit(.minutes(3)), .onLabThreads)
struct EdgeSyncAcrossNamespacesTests {
    @Test func anEdgeInItsOwnNamespaceSyncsFromCore() async throws {
        guard Requirements(Requirements.ip, ["curl": "curl"]).met("EdgeSyncAcrossNamespacesTests") else { return }
        let data = MoatBinary.temporaryDirectory("netns")
        defer { try? FileManager.default.removeItem(at: data) }
        let moat = MoatBinary.path

        try await withLab { lab in
            let coreNode = try lab.addNamespace("core")
            let edgeNode = try lab.addNamespace("edge")
            let link = try lab.addLink(coreNode, interface: "eth0", to: edgeNode, interface: "eth0")
            try lab.addAddress("198.18.0.1/30", to: link.a)
            try lab.addAddress("198.18.0.2/30", to: link.b)

            let coreData = data.appendingPathComponent("core").path
            let edgeData = data.appendingPathComponent("edge").path
            let url = "http://198.18.0.1:7480"
            var core = try lab.start(in: coreNode, [moat, "core", "--data", coreData, "--listen", "198.18.0.1:7480"])
            try MoatBinary.waitUntil("core listens in its namespace") { MoatBinary.log(core).contains("listening on") }
            let token = try String(contentsOfFile: coreData + "/operator-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

            /// The CLI, run from the edge's namespace: the only way there is to core.
            func cli(_ arguments: [String]) throws -> String {
                let result = try lab.run(in: edgeNode, ["env", "MOAT_URL=\(url)", "MOAT_TOKEN=\(token)", moat] + arguments)
                guard result.succeeded else { throw WaitTimeout(what: "`moat \(arguments.joined(separator: " "))` to succeed: \(result.stderr)") }
                return result.stdout
            }

            _ = try cli(["locations", "create", "ams1", "--name", "Amsterdam", "--region", "WEUR"])
            let enrolment = jsonObject(try cli(["edges", "create", "--location", "ams1", "--name", "ams1-a", "--json"]))
            let enrollToken = try #require(enrolment["enrollment_token"] as? String)

            var edge = try lab.start(in: edgeNode, [moat, "edge", "--core", url, "--enroll", enrollToken, "--location", "ams1",
                                                    "--data", edgeData, "--listen", "127.0.0.1:7481"])
            let accountID = try #require(jsonObject(try cli(["accounts", "create", "acme", "--json"]))["id"] as? String)
            let prefix = jsonObject(try cli(["prefixes", "create", "203.0.113.0/24", "--account", accountID, "--json"]))
            let prefixID = try #require(prefix["id"] as? String)
            _ = try cli(["prefixes", "update", prefixID, "--status", "approved", "--account", accountID])
            _ = try cli(["tunnels", "create", "gre1", "--account", accountID, "--customer-endpoint", "198.51.100.1",
                         "--moat-endpoint", "192.0.2.1", "--interface-address", "10.200.0.0/31"])
            _ = try cli(["routes", "create", "203.0.113.0/24", "--nexthop", "10.200.0.1", "--priority", "100", "--account", accountID])
            let version = try #require(jsonItems(try cli(["audit", "--limit", "1", "--json"])).first?["version"] as? Int)

            try MoatBinary.waitUntil("core lists the edge with version \(version) applied") {
                let listed = jsonItems(try cli(["edges", "list", "--json"]))
                return listed.count == 1 && listed[0]["applied_version"] as? Int == version && listed[0]["connected"] as? Bool == true
            }
            let onDisk = try String(contentsOfFile: edgeData + "/config.json", encoding: .utf8)
            #expect(onDisk.contains("\"203.0.113.0/24\""))
            #expect(onDisk.contains("\"gre1\""))

            // Core dies; the edge restarts without it and runs the config it had.
            core.kill(signal: SIGKILL)
            #expect(core.waitForExit(timeout: .seconds(5)))
            edge.terminate(grace: .seconds(5))
            #expect(edge.exitStatus == 0, "the edge stops cleanly on SIGTERM")
            edge = try lab.start(in: edgeNode, [moat, "edge", "--core", url, "--location", "ams1", "--data", edgeData, "--listen", "127.0.0.1:7481"])
            try MoatBinary.waitUntil("the edge runs its last-known-good config") {
                MoatBinary.log(edge).contains("running the last-known-good config from disk")
            }
            var health: [String: Any] = [:]
            try MoatBinary.waitUntil("the edge's health endpoint answers") {
                health = jsonObject(try lab.run(in: edgeNode, ["curl", "-s", "http://127.0.0.1:7481/health"]).stdout)
                return health["applied_version"] as? Int == version
            }
            #expect(health["running_last_known_good"] as? Bool == true)

            // Core returns: the edge reconnects on its own.
            core = try lab.start(in: coreNode, [moat, "core", "--data", coreData, "--listen", "198.18.0.1:7480"])
            try MoatBinary.waitUntil("the edge reconnects", timeout: .seconds(30)) {
                let listed = jsonItems(try cli(["edges", "list", "--json"]))
                return listed.first?["connected"] as? Bool == true
            }
            _ = try cli(["prefixes", "update", prefixID, "--advertised", "true", "--account", accountID])
            try MoatBinary.waitUntil("the edge applies a change made after the restart") {
                (try? String(contentsOfFile: edgeData + "/config.json", encoding: .utf8))?.contains("\"advertised\":true") == true
            }
            let metrics = try lab.run(in: edgeNode, ["curl", "-s", "http://127.0.0.1:7481/metrics"]).stdout
            #expect(metrics.contains("moat_edge_applied_version"))
        }
    }
}
