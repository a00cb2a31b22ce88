import Foundation
import HTTPTypes
import MoatCore
import MoatModel
import Testing

/// Versions, per-location compilation and the long-poll that edges hold.
@Suite struct ConfigSyncTests {
    /// Sets up two locations and one edge credential for ams1.
    static func enrolledEdge(_ api: API) async throws -> String {
        _ = try await api.create("/v1/locations", #"{"id":"ams1","name":"Amsterdam","region":"WEUR"}"#)
        _ = try await api.create("/v1/locations", #"{"id":"fra1","name":"Frankfurt","region":"WEUR"}"#)
        _ = try await api.create("/v1/locations", #"{"id":"sjc1","name":"San Jose","region":"WNAM"}"#)
        let enrolment = try await api.call(.post, "/v1/edges", json: #"{"location":"ams1","name":"ams1-a"}"#)
        let token = try #require(enrolment.json["enrollment_token"] as? String)
        let enrolled = try await api.call(.post, "/v1/edge/enroll", as: .none, json: #"{"token":"\#(token)","hostname":"ams1-a"}"#)
        #expect(enrolled.status == 200)
        // One time only.
        let again = try await api.call(.post, "/v1/edge/enroll", as: .none, json: #"{"token":"\#(token)"}"#)
        #expect(again.status == 401)
        #expect(again.errorCode == "invalid_enrollment_token")
        return try #require(enrolled.json["credential"] as? String)
    }

    @Test func routesReachOnlyTheLocationsInTheirScope() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let edge = try await Self.enrolledEdge(api)
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let prefix = try await api.create("/v1/accounts/\(account)/prefixes", #"{"cidr":"203.0.113.0/24"}"#)
            _ = try await api.create("/v1/accounts/\(account)/tunnels",
                #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.200.0.0/31"}"#)

            var sync = try await api.call(.get, "/v1/edge/sync?version=0&wait=0", as: .token(edge))
            #expect(sync.status == 200)
            let first = try MoatJSON.decoder().decode(EdgeConfig.self, from: sync.body)
            #expect(first.location == "ams1")
            #expect(first.tunnels.map(\.name) == ["gre1"])
            #expect(first.prefixes.isEmpty, "a pending prefix is not delivered")
            #expect(sync.version == first.version)

            // A route scoped to another region does not touch ams1's config.
            let elsewhere = try await api.call(.post, "/v1/accounts/\(account)/routes",
                json: #"{"prefix":"203.0.113.0/24","nexthop":"10.200.0.1","priority":100,"scope":{"regions":["WNAM"]}}"#)
            #expect(elsewhere.status == 201)
            sync = try await api.call(.get, "/v1/edge/sync?version=\(first.version)&wait=0", as: .token(edge))
            #expect(sync.status == 204)

            // Approving the prefix and a route for its region do.
            #expect(try await api.call(.patch, "/v1/accounts/\(account)/prefixes/\(prefix)", json: #"{"status":"approved"}"#).status == 200)
            let here = try await api.call(.post, "/v1/accounts/\(account)/routes",
                json: #"{"prefix":"203.0.113.0/25","nexthop":"10.200.0.1","priority":50,"scope":{"regions":["WEUR"]}}"#)
            sync = try await api.call(.get, "/v1/edge/sync?version=\(first.version)&wait=0", as: .token(edge))
            let second = try MoatJSON.decoder().decode(EdgeConfig.self, from: sync.body)
            #expect(second.version == here.version)
            #expect(second.prefixes.map(\.cidr.description) == ["203.0.113.0/24"])
            #expect(second.routes.map(\.prefix.description) == ["203.0.113.0/25"])
        }
    }

    @Test func aWaitingEdgeWakesOnAChange() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let edge = try await Self.enrolledEdge(api)
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let current = try await api.call(.get, "/v1/edge/sync?version=0&wait=0", as: .token(edge)).version ?? 0

            let clock = ContinuousClock()
            let start = clock.now
            async let woken = api.call(.get, "/v1/edge/sync?version=\(current)&applied=\(current)&wait=20", as: .token(edge))
            try await Task.sleep(for: .milliseconds(200))
            let written = try await api.call(.post, "/v1/accounts/\(account)/tunnels",
                json: #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.200.0.0/31"}"#)
            let answer = try await woken
            #expect(answer.status == 200)
            #expect(answer.version == written.version)
            // Well under the 20 s wait: the whole suite runs beside this test.
            #expect(clock.now - start < .seconds(15), "the long-poll returned on the change, not on its timeout")

            // The edge's report shows up in the edge list.
            _ = try await api.call(.get, "/v1/edge/sync?version=\(written.version!)&applied=\(written.version!)&wait=0", as: .token(edge))
            let edges = try await api.call(.get, "/v1/edges")
            #expect(edges.items.first?["applied_version"] as? Int == written.version)
            #expect(edges.items.first?["status"] as? String == "enrolled")
        }
    }

    @Test func anApplyFailureIsReportedAndKeptVisible() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let edge = try await Self.enrolledEdge(api)
            let status = try await api.call(.post, "/v1/edge/status", as: .token(edge),
                json: #"{"applied_version":3,"failed_version":4,"error":"nft: syntax error","agent_version":"0.1.0"}"#)
            #expect(status.status == 204)
            let listed = try await api.call(.get, "/v1/edges").items.first
            #expect(listed?["last_error"] as? String == "version 4: nft: syntax error")
            #expect(listed?["applied_version"] as? Int == 3)
            // Account and operator tokens cannot use edge routes, nor edges the API.
            #expect(try await api.call(.get, "/v1/edge/sync?wait=0").status == 403)
            #expect(try await api.call(.get, "/v1/accounts", as: .token(edge)).status == 403)
        }
    }

    @Test func everyChangeIsAuditedWithItsVersion() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let prefix = try await api.call(.post, "/v1/accounts/\(account)/prefixes", json: #"{"cidr":"203.0.113.0/24"}"#)
            let audit = try await api.call(.get, "/v1/audit?limit=1")
            let entry = try #require(audit.items.first)
            #expect(entry["action"] as? String == "prefix.create")
            #expect(entry["object_id"] as? String == prefix.id)
            #expect(entry["account_id"] as? String == account)
            #expect(entry["version"] as? Int == prefix.version)
            #expect((entry["actor"] as? String)?.hasPrefix("operator:") == true)
            // A refused change leaves no record.
            _ = try await api.call(.post, "/v1/accounts/\(account)/prefixes", json: #"{"cidr":"203.0.113.0/24"}"#)
            #expect(try await api.call(.get, "/v1/audit?limit=1").items.first?["object_id"] as? String == prefix.id)
        }
    }

    @Test func aRestartKeepsEverything() async throws {
        let first = try await TestCore.make()
        defer { first.remove() }
        let account = try await first.run { api in try await api.create("/v1/accounts", #"{"name":"alpha"}"#) }
        let version = try await first.server.store.currentVersion()

        let second = try await TestCore.make(directory: first.directory)
        #expect(second.operatorToken == first.operatorToken)
        #expect(try await second.server.store.currentVersion() == version)
        let name = try await second.run { api in try await api.call(.get, "/v1/accounts/\(account)").json["name"] as? String }
        #expect(name == "alpha")
        let attributes = try FileManager.default.attributesOfItem(atPath: first.directory.appendingPathComponent("operator-token").path)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
    }

    @Test func metricsAreExposed() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            _ = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let metrics = try await api.call(.get, "/metrics", as: .none)
            let text = String(decoding: metrics.body, as: UTF8.self)
            #expect(metrics.status == 200)
            #expect(text.contains("moat_http_requests_total"))
            #expect(text.contains(#"route="/v1/accounts""#))
            #expect(text.contains("moat_http_request_duration_seconds"))
            #expect(text.contains("moat_config_version"))
            #expect(text.contains("moat_edges_connected"))
        }
    }
}
