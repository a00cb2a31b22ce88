import Foundation
import LinuxNet
import NetLab
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A client, an edge running `moat up` and an origin behind it, each in its own namespace:
/// a block rule created through the API stops matching traffic at the edge within a second,
/// deleting it lets the traffic through again, and a bad rule never reaches the kernel.
@Suite(.serialized, .timeLimit(.minutes(3)), .onLabThreads)
struct FirewallEndToEndTests {
    @Test func aBlockRuleTakesEffectWithinASecond() async throws {
        guard Requirements(Requirements.nft, ["ping": "iputils-ping"]).met("FirewallEndToEndTests") else { return }
        let data = MoatBinary.temporaryDirectory("fw-e2e")
        defer { try? FileManager.default.removeItem(at: data) }
        let moat = MoatBinary.path

        try await withLab { lab in
            let client = try lab.addNamespace("client")
            let edge = try lab.addNamespace("edge")
            let origin = try lab.addNamespace("origin")
            let outside = try lab.addLink(client, interface: "eth0", to: edge, interface: "eth0")
            let inside = try lab.addLink(edge, interface: "eth1", to: origin, interface: "eth0")
            try lab.addAddress("198.18.1.2/30", to: outside.a)
            try lab.addAddress("198.18.1.1/30", to: outside.b)
            try lab.addAddress("198.18.2.1/30", to: inside.a)
            try lab.addAddress("198.18.2.2/30", to: inside.b)
            try lab.exec(in: origin, ["ip", "addr", "add", "203.0.113.10/32", "dev", "lo"])
            try lab.setSysctl("net.ipv4.ip_forward", to: "1", in: edge)
            try lab.addDefaultRoute(via: "198.18.1.1", in: client)
            try lab.addDefaultRoute(via: "198.18.2.1", in: origin)
            try lab.addRoute(to: "203.0.113.0/24", via: "198.18.2.2", in: edge)

            let up = try lab.start(in: edge, [moat, "up", "--data", data.path, "--listen", "127.0.0.1:7480", "--firewall", "on", "--telemetry-interval", "0.5"])
            try MoatBinary.waitUntil("moat up listens") { MoatBinary.log(up).contains("listening on") }
            let token = try String(contentsOfFile: data.path + "/operator-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            func cli(_ arguments: [String]) throws -> CommandResult {
                try lab.run(in: edge, ["env", "MOAT_URL=http://127.0.0.1:7480", "MOAT_TOKEN=\(token)", moat] + arguments)
            }
            func reachable() throws -> Bool {
                try lab.run(in: client, ["ping", "-c", "1", "-W", "1", "203.0.113.10"], timeout: .seconds(5)).succeeded
            }
            func ruleset() throws -> String { try lab.run(in: edge, ["nft", "list", "table", "inet", "moat"]).stdout }

            let account = try #require(jsonObject(try cli(["accounts", "create", "acme", "--json"]).stdout)["id"] as? String)
            let prefix = try #require(jsonObject(try cli(["prefixes", "create", "203.0.113.0/24", "--account", account, "--json"]).stdout)["id"] as? String)
            #expect(try cli(["prefixes", "update", prefix, "--status", "approved", "--account", account]).succeeded)
            #expect(try reachable(), "the origin answers before any rule")

            // Block echo requests to the prefix; time until the first lost probe.
            let created = try cli(["firewall", "rules", "create", "icmp.type == 8 and ip.dst == 203.0.113.10", "--action", "block", "--account", account, "--json"])
            let start = ContinuousClock.now
            let rule = try #require(jsonObject(created.stdout)["id"] as? String, "\(created.stderr)")
            var blockedAfter: Duration?
            while ContinuousClock.now - start < .seconds(5) {
                if try !lab.run(in: client, ["ping", "-c", "1", "-W", "0.2", "203.0.113.10"], timeout: .seconds(5)).succeeded {
                    blockedAfter = ContinuousClock.now - start
                    break
                }
            }
            let after = try #require(blockedAfter, "the rule never took effect")
            #expect(after < .seconds(1), "the block took \(after)")
            #expect(try !reachable())
            #expect(try ruleset().contains("comment \"rule:\(rule)\""))

            // The kernel counted what the rule dropped, and core shows it per location.
            var hits = 0
            try MoatBinary.waitUntil("the rule's hits reach core", timeout: .seconds(10)) {
                let listed = jsonItems(try cli(["firewall", "rules", "list", "--account", account, "--json"]).stdout)
                hits = (listed.first?["hits"] as? [String: Any])?["local"] as? Int ?? 0
                return hits >= 2
            }
            #expect(try cli(["firewall", "rules", "list", "--account", account]).stdout.contains("local=\(hits)") || hits > 0)

            // A rule that does not check is refused by the API; the kernel keeps what it had.
            let before = try ruleset()
            let bad = try cli(["firewall", "rules", "create", "icmp.type == 300", "--account", account])
            #expect(bad.exitStatus == 1)
            #expect(bad.stderr.contains("(field: expression)"))
            #expect(try ruleset() == before)

            // Deleting the rule lets the traffic through again.
            #expect(try cli(["firewall", "rules", "delete", rule, "--account", account]).succeeded)
            try MoatBinary.waitUntil("traffic flows again", timeout: .seconds(5)) { try reachable() }
            #expect(try !ruleset().contains("rule:\(rule)"))
        }
    }
}
