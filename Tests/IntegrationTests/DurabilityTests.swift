import Foundation
import LinuxNet
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `moat core` and `moat up` as real processes on loopback: SIGKILL loses no acknowledged
/// write, SIGTERM stops everything cleanly, a restart keeps everything.
@Suite(.serialized, .timeLimit(.minutes(3)), .onLabThreads)
struct DurabilityTests {
    @Test func sigkillLosesNoAcknowledgedWrite() throws {
        let data = MoatBinary.temporaryDirectory("durable")
        defer { try? FileManager.default.removeItem(at: data) }
        let port = MoatBinary.freePort()
        let url = "http://127.0.0.1:\(port)"
        let log = data.appendingPathComponent("core.log").path

        var core = try ChildProcess.start(MoatBinary.path, ["core", "--data", data.appendingPathComponent("store").path, "--listen", "127.0.0.1:\(port)"], logPath: log)
        defer { core.terminate(grace: .seconds(1)) }
        try MoatBinary.waitUntil("core listens") { MoatBinary.log(core).contains("listening on") }
        let token = try String(contentsOf: data.appendingPathComponent("store/operator-token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let environment = ["MOAT_URL": url, "MOAT_TOKEN": token]

        // Acknowledged writes, then SIGKILL straight after the last answer.
        var acknowledged: [String] = []
        for index in 0..<25 {
            let result = try MoatBinary.client(["accounts", "create", "tenant-\(index)", "--json"], environment: environment)
            #expect(result.succeeded, "\(result.stderr)")
            if let id = jsonObject(result.stdout)["id"] as? String { acknowledged.append(id) }
        }
        core.kill(signal: SIGKILL)
        #expect(core.waitForExit(timeout: .seconds(5)))
        #expect(core.terminationSignal == SIGKILL)

        core = try ChildProcess.start(MoatBinary.path, ["core", "--data", data.appendingPathComponent("store").path, "--listen", "127.0.0.1:\(port)"], logPath: log + ".2")
        try MoatBinary.waitUntil("core listens again") { MoatBinary.log(core).contains("listening on") }
        let listed = try MoatBinary.client(["accounts", "list", "--json"], environment: environment)
        let ids = Set(jsonItems(listed.stdout).compactMap { $0["id"] as? String })
        #expect(acknowledged.count == 25)
        #expect(Set(acknowledged).isSubset(of: ids), "lost: \(Set(acknowledged).subtracting(ids))")
        // The audit log holds every one of them too, written in the same transactions.
        let audit = try MoatBinary.client(["audit", "--limit", "100", "--json"], environment: environment)
        let audited = Set(jsonItems(audit.stdout).filter { $0["action"] as? String == "account.create" }.compactMap { $0["object_id"] as? String })
        #expect(Set(acknowledged) == audited)
    }

    @Test func upRunsCoreAndAnEdgeAndStopsCleanly() throws {
        let data = MoatBinary.temporaryDirectory("up")
        defer { try? FileManager.default.removeItem(at: data) }
        let port = MoatBinary.freePort()
        let edgePort = MoatBinary.freePort()
        // The host's own nftables are not the test's to change.
        let arguments = ["up", "--data", data.path, "--listen", "127.0.0.1:\(port)", "--edge-listen", "127.0.0.1:\(edgePort)", "--firewall", "off", "--ddos", "off"]
        var up = try ChildProcess.start(MoatBinary.path, arguments, logPath: data.appendingPathComponent("up.log").path)
        defer { up.terminate(grace: .seconds(1)) }
        try MoatBinary.waitUntil("the banner names the URL and the token file") {
            MoatBinary.log(up).contains("listening on http://127.0.0.1:\(port)") && MoatBinary.log(up).contains("\(data.path)/operator-token")
        }
        let tokenPath = data.appendingPathComponent("operator-token").path
        let mode = try FileManager.default.attributesOfItem(atPath: tokenPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let token = try String(contentsOfFile: tokenPath, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let environment = ["MOAT_URL": "http://127.0.0.1:\(port)", "MOAT_TOKEN": token]

        // The in-process edge at `local` applies what the API writes.
        let account = try MoatBinary.client(["accounts", "create", "acme", "--json"], environment: environment)
        let accountID = try #require(jsonObject(account.stdout)["id"] as? String)
        let created = try MoatBinary.client(["tunnels", "create", "gre1", "--account", accountID, "--customer-endpoint", "198.51.100.1",
                                             "--moat-endpoint", "192.0.2.1", "--interface-address", "10.200.0.0/31", "--json"], environment: environment)
        #expect(created.succeeded, "\(created.stderr)")
        var applied: Int?
        try MoatBinary.waitUntil("the local edge applies the tunnel") {
            let edges = jsonItems(try MoatBinary.client(["edges", "list", "--json"], environment: environment).stdout)
            applied = edges.first?["applied_version"] as? Int
            let config = try? String(contentsOf: data.appendingPathComponent("edge/config.json"), encoding: .utf8)
            return edges.first?["location"] as? String == "local" && config?.contains("\"gre1\"") == true
        }
        #expect(applied != nil)

        // SIGTERM: everything stops, in order, with status 0.
        up.kill(signal: SIGTERM)
        #expect(up.waitForExit(timeout: .seconds(10)), "moat up did not stop within 10 s of SIGTERM")
        #expect(up.exitStatus == 0, "\(MoatBinary.log(up).suffix(2000))")

        // A restart keeps the data and the token, and does not enrol the edge again.
        up = try ChildProcess.start(MoatBinary.path, arguments, logPath: data.appendingPathComponent("up2.log").path)
        try MoatBinary.waitUntil("moat up runs again") { MoatBinary.log(up).contains("listening on") }
        let accounts = try MoatBinary.client(["accounts", "list", "--json"], environment: environment)
        #expect(jsonItems(accounts.stdout).compactMap { $0["name"] as? String } == ["acme"])
        let edges = jsonItems(try MoatBinary.client(["edges", "list", "--json"], environment: environment).stdout)
        #expect(edges.count == 1)
        #expect(MoatBinary.log(up).contains("running the last-known-good config from disk"))
    }

    @Test func clientErrorsNameTheFieldAndExitNonZero() throws {
        let data = MoatBinary.temporaryDirectory("cli")
        defer { try? FileManager.default.removeItem(at: data) }
        let port = MoatBinary.freePort()
        let core = try ChildProcess.start(MoatBinary.path, ["core", "--data", data.path, "--listen", "127.0.0.1:\(port)"], logPath: data.appendingPathComponent("core.log").path)
        defer { core.terminate(grace: .seconds(1)) }
        try MoatBinary.waitUntil("core listens") { MoatBinary.log(core).contains("listening on") }
        let token = try String(contentsOf: data.appendingPathComponent("operator-token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let environment = ["MOAT_URL": "http://127.0.0.1:\(port)", "MOAT_TOKEN": token]

        let bad = try MoatBinary.client(["locations", "create", "AMS 1", "--region", "WEUR"], environment: environment)
        #expect(bad.exitStatus == 1)
        #expect(bad.stderr.contains("(field: id)"))
        #expect(bad.stdout.isEmpty)

        let noToken = try MoatBinary.client(["accounts", "list"], environment: ["MOAT_URL": "http://127.0.0.1:\(port)"])
        #expect(noToken.exitStatus == 1)
        #expect(noToken.stderr.contains("unauthorized"))

        // Rule expressions: checked locally and by the API, with a caret under the fault.
        let check = try MoatBinary.client(["firewall", "check", #"tcp.dstport == "x""#], environment: [:])
        #expect(check.exitStatus == 1)
        #expect(check.stderr.contains(#"tcp.dstport == "x""#))
        #expect(check.stderr.contains("               ^^^"), "\(check.stderr)")
        #expect(try MoatBinary.client(["firewall", "check", "tcp.dstport in {22 8000..8100} and not ip.frag"], environment: [:]).stdout == "ok\n")
        let account = try #require(jsonObject(try MoatBinary.client(["accounts", "create", "acme", "--json"], environment: environment).stdout)["id"] as? String)
        let rule = try MoatBinary.client(["firewall", "rules", "create", "ip.src in $nowhere", "--account", account], environment: environment)
        #expect(rule.exitStatus == 1)
        #expect(rule.stderr.contains("           ^^^^^^^^"), "\(rule.stderr)")
        #expect(rule.stderr.contains("(field: expression)"))

        let good = try MoatBinary.client(["locations", "create", "ams1", "--name", "Amsterdam", "--region", "WEUR"], environment: environment)
        #expect(good.succeeded)
        let table = try MoatBinary.client(["locations", "list"], environment: environment).stdout
        #expect(table.contains("ID    NAME       REGION"))
        #expect(table.contains("ams1  Amsterdam  WEUR"))
    }
}
