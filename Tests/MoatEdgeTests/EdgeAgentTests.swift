import Foundation
import Hummingbird
import HummingbirdTesting
import MoatClient
import MoatCore
import MoatEdge
import MoatModel
import Testing

/// The agent against a real core on loopback: enrolment, live sync, last-known-good, failures.
@Suite struct EdgeAgentTests {
    /// Runs a live core and hands over its URL and an operator API client.
    static func withCore(_ body: @escaping @Sendable (String, APIClient, CoreServer) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moat-edge-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let core = try await CoreServer.open(CoreConfiguration(dataDirectory: directory, port: 0))
        let token = try String(contentsOf: directory.appendingPathComponent("operator-token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let (router, _) = core.buildRouter()
        try await Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0))).test(.live) { client in
            let url = "http://127.0.0.1:\(client.port!)"
            defer { Task { await core.broadcaster.close() } }
            try await body(url, APIClient(baseURL: url, token: token), core)
            await core.broadcaster.close()
        }
    }

    static func enrolment(_ api: APIClient, location: String = "ams1") async throws -> String {
        _ = try? await api.send(.POST, "/v1/locations", json: .object(["id": .string(location), "region": .string("WEUR")]))
        let answer = try await api.send(.POST, "/v1/edges", json: .object(["location": .string(location)]))
        return try #require(try api.decode(EdgeInfo.self, answer).enrollmentToken)
    }

    /// 30 s: the whole suite runs beside these tests, namespaces, floods and all.
    static func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        // Once more: a task that waited long for a thread must not fail on its late wake-up alone.
        if try await condition() { return }
        Issue.record("timed out waiting until \(what)")
        throw CancellationError()
    }

    static func tunnel(_ name: String, _ octet: Int) -> JSONValue {
        .object(["name": .string(name), "customer_endpoint": .string("198.51.100.1"), "moat_endpoint": .string("192.0.2.1"),
                 "interface_address": .string("10.200.0.\(octet)/31")])
    }

    @Test func enrolsSyncsAndKeepsTheLastKnownGoodConfig() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("moat-edge-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        try await Self.withCore { url, api, _ in
            let token = try await Self.enrolment(api)
            let account = try api.decode(Account.self, try await api.send(.POST, "/v1/accounts", json: .object(["name": .string("alpha")])))
            let agent = EdgeAgent(options: .init(coreURL: url, dataDirectory: data, location: "ams1", enrollToken: token, agentVersion: "test"))
            let running = Task { try await agent.run() }
            defer { running.cancel() }

            try await Self.waitUntil("the first config applied") { await agent.status.appliedVersion != nil }
            let credential = try FileManager.default.attributesOfItem(atPath: data.appendingPathComponent("credential").path)
            #expect(credential[.posixPermissions] as? Int == 0o600)

            let written = try await api.send(.POST, "/v1/accounts/\(account.id)/tunnels", json: Self.tunnel("gre1", 0))
            let version = try #require(written.configVersion)
            try await Self.waitUntil("version \(version) applied") { await agent.status.appliedVersion == version }

            let onDisk = try #require(try LastKnownGood(directory: data).load())
            #expect(onDisk.version == version)
            #expect(onDisk.tunnels.map(\.name) == ["gre1"])
            try await Self.waitUntil("core shows the applied version") {
                try await api.list("/v1/edges", of: EdgeInfo.self).first?.appliedVersion == version
            }
            let edge = try #require(try await api.list("/v1/edges", of: EdgeInfo.self).first)
            #expect(edge.agentVersion == "test")
            #expect(edge.connected)
            running.cancel()
            _ = await running.result

            // Core is gone: a new agent on the same directory starts from disk and says so.
            let offline = EdgeAgent(options: .init(coreURL: "http://127.0.0.1:1", dataDirectory: data, location: "ams1", enrollToken: nil, agentVersion: "test"))
            let restarted = Task { try await offline.run() }
            defer { restarted.cancel() }
            try await Self.waitUntil("the restarted agent runs the config from disk") { await offline.status.appliedVersion == version }
            #expect(await offline.status.runningFromDisk)
            try await Self.waitUntil("a sync error is counted", timeout: .seconds(20)) {
                let text = String(decoding: offline.metrics.registry.emitToBuffer(), as: UTF8.self)
                let line = text.split(separator: "\n").first { $0.hasPrefix("moat_edge_sync_errors_total ") }
                return line.flatMap { Double($0.split(separator: " ").last ?? "") }.map { $0 >= 1 } ?? false
            }
        }
    }

    /// A data-plane part that refuses tunnels named "broken".
    struct PickyApplier: ConfigApplier {
        let name = "picky"
        func prepare(_ config: EdgeConfig) async throws {
            if config.tunnels.contains(where: { $0.name == "broken" }) { throw ApplyError(part: name, reason: "cannot program tunnel 'broken'") }
        }
        func commit(_ config: EdgeConfig) async throws {}
    }

    @Test func aConfigThatFailsKeepsThePreviousOneAndTellsCore() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("moat-edge-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        try await Self.withCore { url, api, _ in
            let token = try await Self.enrolment(api)
            let account = try api.decode(Account.self, try await api.send(.POST, "/v1/accounts", json: .object(["name": .string("alpha")])))
            let good = try #require(try await api.send(.POST, "/v1/accounts/\(account.id)/tunnels", json: Self.tunnel("gre1", 0)).configVersion)
            let agent = EdgeAgent(options: .init(coreURL: url, dataDirectory: data, location: "ams1", enrollToken: token, agentVersion: "test"),
                                  appliers: [PickyApplier()])
            let running = Task { try await agent.run() }
            defer { running.cancel() }
            // Enrolment itself changes the location's config (its edge list), so the first
            // config the edge gets may be newer than `good`.
            try await Self.waitUntil("the good config applied") { (await agent.status.appliedVersion ?? 0) >= good }
            let applied = try #require(await agent.status.appliedVersion)

            let bad = try #require(try await api.send(.POST, "/v1/accounts/\(account.id)/tunnels", json: Self.tunnel("broken", 2)).configVersion)
            try await Self.waitUntil("core hears of the failure") {
                try await api.list("/v1/edges", of: EdgeInfo.self).first?.lastError?.contains("cannot program tunnel 'broken'") == true
            }
            #expect(await agent.status.appliedVersion == applied)
            #expect(try LastKnownGood(directory: data).load()?.version == applied)
            #expect(try await api.list("/v1/edges", of: EdgeInfo.self).first?.lastError?.hasPrefix("version \(bad)") == true)

            // Fixing the config clears the error.
            let tunnels = try await api.list("/v1/accounts/\(account.id)/tunnels", of: Tunnel.self)
            let broken = try #require(tunnels.first { $0.name == "broken" })
            let fixed = try #require(try await api.send(.PATCH, "/v1/accounts/\(account.id)/tunnels/\(broken.id)", json: .object(["name": .string("gre2")])).configVersion)
            try await Self.waitUntil("the fixed config applied") { await agent.status.appliedVersion == fixed }
            #expect(await agent.status.lastError == nil)
        }
    }

    @Test func anEdgeWithoutCredentialOrTokenSaysHowToEnrol() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("moat-edge-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        let agent = EdgeAgent(options: .init(coreURL: "http://127.0.0.1:1", dataDirectory: data, location: "ams1", enrollToken: nil, agentVersion: "test"))
        await #expect(throws: EdgeAgentError.self) { try await agent.run() }
    }

    @Test func aUsedEnrolmentTokenIsRefused() async throws {
        try await Self.withCore { url, api, _ in
            let token = try await Self.enrolment(api)
            _ = try await SyncClient(coreURL: url).enroll(token: token, hostname: "one", agentVersion: "test")
            let data = FileManager.default.temporaryDirectory.appendingPathComponent("moat-edge-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: data) }
            let agent = EdgeAgent(options: .init(coreURL: url, dataDirectory: data, location: "ams1", enrollToken: token, agentVersion: "test"))
            await #expect(throws: EdgeAgentError.self) { try await agent.run() }
        }
    }
}
