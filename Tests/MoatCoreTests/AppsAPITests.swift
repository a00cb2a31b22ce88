import Foundation
import HTTPTypes
import MoatCore
import MoatModel
import Testing

/// `/v1/accounts/{account}/apps`: Spectrum apps reach the edges of their locations; edge ports
/// are shared, so two apps never claim the same one.
@Suite struct AppsAPITests {
    static let minecraft = #"{"name":"minecraft","protocol":"tcp","ports":"25565","origins":[{"address":"192.0.2.10","port":"25565"}]}"#

    @Test func anAppReachesTheEdgesOfItsLocationsWithItsDefaults() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let edge = try await ConfigSyncTests.enrolledEdge(api)
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let created = try await api.call(.post, "/v1/accounts/\(account)/apps", json: Self.minecraft)
            #expect(created.status == 201)
            #expect(created.json["load_balancing"] as? String == "round_robin")
            #expect(created.json["proxy_protocol"] as? String == "off")
            #expect(created.json["idle_timeout"] as? Int == 300)
            let game = try await api.create("/v1/accounts/\(account)/apps",
                #"{"name":"game","protocol":"udp","ports":"27015-27020","origins":[{"address":"192.0.2.11","port":"37015-37020","weight":3}],"proxy_protocol":"simple","locations":["fra1"]}"#)
            let sync = try await api.call(.get, "/v1/edge/sync?version=0&wait=0", as: .token(edge))
            let config = try MoatJSON.decoder().decode(EdgeConfig.self, from: sync.body)
            #expect(config.apps.map(\.name) == ["minecraft"], "fra1's app does not reach ams1")
            #expect(config.apps.first?.origins.first?.port(for: 25565, listen: config.apps[0].ports) == 25565)

            let changed = try await api.call(.patch, "/v1/accounts/\(account)/apps/\(game)", json: #"{"load_balancing":"least_connections"}"#)
            #expect(changed.status == 200)
            let protocolChange = try await api.call(.patch, "/v1/accounts/\(account)/apps/\(game)", json: #"{"protocol":"tcp"}"#)
            #expect(protocolChange.status == 400 && protocolChange.errorField == "protocol")
            #expect(try await api.call(.delete, "/v1/locations/fra1").status == 409, "an app is scoped to fra1")
            #expect(try await api.call(.delete, "/v1/accounts/\(account)/apps/\(game)").status == 204)
        }
    }

    @Test func badAppsAreRefusedWithTheField() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let origin = #""origins":[{"address":"192.0.2.10","port":"80"}]"#
            let cases: [(String, String)] = [
                (#"{"name":"a","protocol":"tcp","ports":"0",\#(origin)}"#, "ports"),
                (#"{"name":"a","protocol":"tcp","ports":"70000",\#(origin)}"#, "ports"),
                (#"{"name":"a","protocol":"tcp","ports":"2000-1000",\#(origin)}"#, "ports"),
                (#"{"name":"a","protocol":"tcp","ports":"1000-2000","origins":[{"address":"192.0.2.10","port":"3000-3500"}]}"#, "origins[0].port"),
                (#"{"name":"a","protocol":"tcp","ports":"80",\#(origin),"load_balancing":"fastest"}"#, "load_balancing"),
                (#"{"name":"a","protocol":"sctp","ports":"80",\#(origin)}"#, "protocol"),
                (#"{"name":"a","protocol":"tcp","ports":"80",\#(origin),"proxy_protocol":"simple"}"#, "proxy_protocol"),
                (#"{"name":"a","protocol":"udp","ports":"80",\#(origin),"proxy_protocol":"v1"}"#, "proxy_protocol"),
                (#"{"name":"a","protocol":"tcp","ports":"80","origins":[]}"#, "origins"),
                (#"{"name":"a","protocol":"tcp","ports":"80",\#(origin),"ip_rules":[{"action":"deny","cidr":"10.0.0.0/8"}]}"#, "ip_rules[0].action"),
                (#"{"name":"a","protocol":"tcp","ports":"80",\#(origin),"locations":["nowhere"]}"#, "locations[0]"),
                (#"{"name":"a","protocol":"tcp","ports":"80",\#(origin),"idle_timeout":0}"#, "idle_timeout"),
            ]
            for (body, field) in cases {
                let answer = try await api.call(.post, "/v1/accounts/\(account)/apps", json: body)
                #expect(answer.status == 400, "\(body) → \(answer.status)")
                #expect(answer.errorField == field, "\(body) → \(answer.errorField ?? "nil")")
            }
            #expect(try await api.call(.get, "/v1/accounts/\(account)/apps").items.isEmpty)
        }
    }

    @Test func twoAppsCannotTakeTheSameEdgePortEvenAcrossAccounts() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            _ = try await api.create("/v1/locations", #"{"id":"ams1","region":"WEUR"}"#)
            _ = try await api.create("/v1/locations", #"{"id":"fra1","region":"WEUR"}"#)
            let alpha = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let bravo = try await api.create("/v1/accounts", #"{"name":"bravo"}"#)
            _ = try await api.create("/v1/accounts/\(alpha)/apps",
                #"{"name":"range","protocol":"tcp","ports":"25000-26000","origins":[{"address":"192.0.2.10","port":"25000-26000"}],"locations":["ams1"]}"#)
            let clash = try await api.call(.post, "/v1/accounts/\(bravo)/apps", json: Self.minecraft)
            #expect(clash.status == 409 && clash.errorField == "ports")
            #expect(!String(decoding: clash.body, as: UTF8.self).contains(alpha), "another account's ids are not shown")
            // Another location, another address, or another protocol is another socket.
            #expect(try await api.call(.post, "/v1/accounts/\(bravo)/apps",
                json: #"{"name":"minecraft","protocol":"tcp","ports":"25565","origins":[{"address":"192.0.2.10","port":"25565"}],"locations":["fra1"]}"#).status == 201)
            #expect(try await api.call(.post, "/v1/accounts/\(bravo)/apps",
                json: #"{"name":"voice","protocol":"udp","ports":"25565","origins":[{"address":"192.0.2.10","port":"25565"}]}"#).status == 201)
            let sameName = try await api.call(.post, "/v1/accounts/\(bravo)/apps",
                json: #"{"name":"voice","protocol":"udp","ports":"9999","origins":[{"address":"192.0.2.10","port":"9999"}]}"#)
            #expect(sameName.status == 409 && sameName.errorField == "name")
        }
    }
}
