import Foundation
import HTTPTypes
import MoatCore
import MoatModel
import Testing

/// Port ranges in the apps API: overlapping ranges clash across accounts (409) while touching
/// ones do not, a change of ports is checked like a new app, and an edge that cannot serve a
/// range says why in the app's status.
@Suite struct AppRangesAPITests {
    static func app(_ name: String, _ proto: String, _ ports: String, origin: String) -> String {
        #"{"name":"\#(name)","protocol":"\#(proto)","ports":"\#(ports)","origins":[{"address":"192.0.2.10","port":"\#(origin)"}]}"#
    }

    @Test func overlappingRangesClashAcrossAccountsAndAPatchIsCheckedToo() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let alpha = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let bravo = try await api.create("/v1/accounts", #"{"name":"bravo"}"#)
            _ = try await api.create("/v1/accounts/\(alpha)/apps", Self.app("game", "udp", "27000-27100", origin: "37000-37100"))

            // The last port of the other range is enough to clash; the port after it is free.
            let overlap = try await api.call(.post, "/v1/accounts/\(bravo)/apps", json: Self.app("voice", "udp", "27100-27200", origin: "7000"))
            #expect(overlap.status == 409 && overlap.errorField == "ports", "\(overlap.json)")
            let inside = try await api.call(.post, "/v1/accounts/\(bravo)/apps", json: Self.app("voice", "udp", "27050", origin: "7000"))
            #expect(inside.status == 409 && inside.errorField == "ports")
            let next = try await api.create("/v1/accounts/\(bravo)/apps", Self.app("voice", "udp", "27101-27200", origin: "7000"))
            // TCP is another socket.
            _ = try await api.create("/v1/accounts/\(bravo)/apps", Self.app("web", "tcp", "27000-27100", origin: "8000-8100"))

            // Moving a range onto another app's ports is refused like a new app.
            let moved = try await api.call(.patch, "/v1/accounts/\(bravo)/apps/\(next)", json: #"{"ports":"26990-27000"}"#)
            #expect(moved.status == 409 && moved.errorField == "ports")
            // A range whose size no longer matches its origin's range is refused with the origin's field.
            let games = try await api.call(.get, "/v1/accounts/\(alpha)/apps").items
            let game = try #require(games.first?["id"] as? String)
            let shrunk = try await api.call(.patch, "/v1/accounts/\(alpha)/apps/\(game)", json: #"{"ports":"27000-27010"}"#)
            #expect(shrunk.status == 400 && shrunk.errorField == "origins[0].port", "\(shrunk.json)")
            #expect(try await api.call(.get, "/v1/accounts/\(alpha)/apps/\(game)").json["ports"] as? String == "27000-27100")
        }
    }

    @Test func anEdgeThatCannotServeARangeSaysWhyInTheAppStatus() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let edge = try await ConfigSyncTests.enrolledEdge(api)
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let game = try await api.create("/v1/accounts/\(account)/apps", Self.app("game", "udp", "27000-27100", origin: "37000-37100"))
            let web = try await api.create("/v1/accounts/\(account)/apps", Self.app("web", "tcp", "443", origin: "443"))

            let before = try await api.call(.get, "/v1/accounts/\(account)/apps/\(game)/status")
            #expect(before.status == 200)
            #expect(before.json["served"] as? Bool == false, "nobody has reported yet")
            #expect((before.json["edges"] as? [Any])?.isEmpty == true)

            let reason = "port ranges need CAP_NET_ADMIN (run the edge as root)"
            let report = try await api.call(.post, "/v1/edge/telemetry", as: .token(edge), json: #"{"unserved_apps":{"\#(game)":"\#(reason)"}}"#)
            #expect(report.status == 204)
            let status = try await api.call(.get, "/v1/accounts/\(account)/apps/\(game)/status").json
            #expect(status["served"] as? Bool == false)
            let edges = try #require(status["edges"] as? [[String: Any]])
            #expect(edges.count == 1)
            #expect(edges.first?["location"] as? String == "ams1")
            #expect(edges.first?["served"] as? Bool == false)
            #expect(edges.first?["reason"] as? String == reason)
            #expect(try await api.call(.get, "/v1/accounts/\(account)/apps/\(web)/status").json["served"] as? Bool == true)

            // The next report without it: served.
            _ = try await api.call(.post, "/v1/edge/telemetry", as: .token(edge), json: #"{"unserved_apps":{}}"#)
            #expect(try await api.call(.get, "/v1/accounts/\(account)/apps/\(game)/status").json["served"] as? Bool == true)

            for (body, field) in [(#"{"unserved_apps":[]}"#, "unserved_apps"), (#"{"unserved_apps":{"\#(game)":3}}"#, "unserved_apps.\(game)")] {
                let bad = try await api.call(.post, "/v1/edge/telemetry", as: .token(edge), json: body)
                #expect(bad.status == 400 && bad.errorField == field, "\(body): \(bad.json)")
            }
            let other = try await api.create("/v1/accounts", #"{"name":"bravo"}"#)
            #expect(try await api.call(.get, "/v1/accounts/\(other)/apps/\(game)/status").status == 404)
        }
    }
}
