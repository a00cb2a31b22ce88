import Foundation
import MoatCore
import MoatModel
import Testing

/// The traceroute API end to end through the router, with an edge played by the test: bad input
/// names its field, foreign targets are refused, the job reaches the edge, its results show, and
/// a location that never answers shows an error at the deadline.
@Suite struct TracerouteAPITests {
    /// An account with 203.0.113.0/24 approved and a tunnel to 198.51.100.1; location ams1.
    func setUp(_ api: API) async throws -> String {
        let account = try await api.create("/v1/accounts", #"{"name":"acme"}"#)
        let prefix = try await api.create("/v1/accounts/\(account)/prefixes", #"{"cidr":"203.0.113.0/24"}"#)
        try await api.call(.patch, "/v1/accounts/\(account)/prefixes/\(prefix)", json: #"{"status":"approved"}"#)
        _ = try await api.create("/v1/accounts/\(account)/tunnels",
                                 #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.200.0.0/31"}"#)
        _ = try await api.create("/v1/locations", #"{"id":"ams1","name":"Amsterdam","region":"WEUR"}"#)
        return account
    }

    @Test func badInputNamesTheField() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await setUp(api)
            let path = "/v1/accounts/\(account)/traceroutes"
            let eleven = (1...11).map { "\"203.0.113.\($0)\"" }.joined(separator: ",")
            let cases: [(String, Int, String, String)] = [
                (#"{"targets":[\#(eleven)]}"#, 400, "out_of_range", "targets"),
                (#"{"targets":[]}"#, 400, "out_of_range", "targets"),
                (#"{}"#, 400, "missing_field", "targets"),
                (#"{"targets":["203.0.113.10"],"options":{"max_ttl":0}}"#, 400, "out_of_range", "options.max_ttl"),
                (#"{"targets":["203.0.113.10"],"options":{"max_ttl":65}}"#, 400, "out_of_range", "options.max_ttl"),
                (#"{"targets":["203.0.113.10"],"options":{"packets_per_ttl":11}}"#, 400, "out_of_range", "options.packets_per_ttl"),
                (#"{"targets":["203.0.113.10"],"options":{"wait_time":6}}"#, 400, "out_of_range", "options.wait_time"),
                (#"{"targets":["203.0.113.10"],"options":{"packet_type":"sctp"}}"#, 400, "invalid_value", "options.packet_type"),
                (#"{"targets":["203.0.113.10"],"options":{"port":443}}"#, 400, "invalid_value", "options.port"),
                (#"{"targets":["203.0.113.10"],"options":{"ttl":3}}"#, 400, "unknown_field", "options.ttl"),
                (#"{"targets":["no-such-host.invalid"]}"#, 400, "unresolvable", "targets[0]"),
                (#"{"targets":["203.0.113.10","bad host!"]}"#, 400, "invalid_value", "targets[1]"),
                (#"{"targets":["2001:db8::1"]}"#, 403, "target_not_allowed", "targets[0]"),
                (#"{"targets":["203.0.113.10"],"options":{"packet_type":"gre"}}"#, 400, "invalid_value", "targets[0]"),
                (#"{"targets":["198.51.100.1"],"options":{"packet_type":"gre","port":80}}"#, 400, "invalid_value", "options.port"),
                (#"{"targets":["203.0.113.10"],"locations":["nowhere"]}"#, 400, "invalid_value", "locations[0]"),
                (#"{"targets":["203.0.113.10","192.0.2.7"]}"#, 403, "target_not_allowed", "targets[1]"),
                (#"{"targets":["8.8.8.8"]}"#, 403, "target_not_allowed", "targets[0]"),
                (#"{"targets":["198.51.100.2"]}"#, 403, "target_not_allowed", "targets[0]"),
            ]
            for (body, status, code, field) in cases {
                let answer = try await api.call(.post, path, json: body)
                #expect(answer.status == status && answer.errorCode == code && answer.errorField == field,
                        "\(body) → \(answer.status) \(answer.errorCode ?? "-") \(answer.errorField ?? "-")")
            }
            // Another account's token cannot see or start this account's traceroutes.
            let other = try await api.create("/v1/accounts", #"{"name":"other"}"#)
            let token = try await api.token(account: other, scope: "write")
            #expect(try await api.call(.post, path, as: .token(token), json: #"{"targets":["203.0.113.10"]}"#).status == 404)
        }
    }

    @Test func ipv6TargetsInAnApprovedPrefixAndGREToATunnelEndpointAreTaken() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await setUp(api)
            let prefix = try await api.create("/v1/accounts/\(account)/prefixes", #"{"cidr":"2001:db8:113::/48"}"#)
            try await api.call(.patch, "/v1/accounts/\(account)/prefixes/\(prefix)", json: #"{"status":"approved"}"#)
            let path = "/v1/accounts/\(account)/traceroutes"
            let v6 = try await api.call(.post, path, json: #"{"targets":["2001:db8:113::10"],"options":{"packet_type":"tcp","port":443}}"#)
            #expect(v6.status == 201 && (v6.json["targets"] as? [[String: Any]])?.first?["address"] as? String == "2001:db8:113::10", "\(v6.json)")
            let gre = try await api.call(.post, path, json: #"{"targets":["198.51.100.1"],"options":{"packet_type":"gre"}}"#)
            let options = gre.json["options"] as? [String: Any]
            #expect(gre.status == 201 && options?["packet_type"] as? String == "gre" && options?["port"] == nil, "\(gre.json)")
        }
    }

    @Test func theJobGoesToAConnectedEdgeAndItsResultsShow() async throws {
        let clock = TestClock(Date())
        let core = try await TestCore.make(clock: clock)
        defer { core.remove() }
        try await core.run { api in
            let account = try await setUp(api)
            _ = try await api.create("/v1/locations", #"{"id":"fra1","name":"Frankfurt","region":"WEUR"}"#)
            let enrolment = try await api.call(.post, "/v1/edges", json: #"{"location":"ams1"}"#)
            let secret = try #require(enrolment.json["enrollment_token"] as? String)
            let enrolled = try await api.call(.post, "/v1/edge/enroll", as: .none, json: #"{"token":"\#(secret)"}"#)
            let credential = try #require(enrolled.json["credential"] as? String)

            // The edge polls once (nothing yet): it counts as able to take jobs for a while.
            #expect(try await api.call(.get, "/v1/edge/jobs?wait=0", as: .token(credential)).status == 204)
            let created = try await api.call(.post, "/v1/accounts/\(account)/traceroutes",
                                             json: #"{"targets":["203.0.113.10","198.51.100.1"],"options":{"packet_type":"udp","max_ttl":8,"wait_time":1}}"#)
            #expect(created.status == 201 && created.version != nil)
            let id = created.id
            let results = created.json["results"] as? [[String: Any]] ?? []
            #expect(results.count == 4, "two targets from two locations")
            let fra = results.filter { $0["location"] as? String == "fra1" }
            #expect(fra.count == 2 && fra.allSatisfy { $0["status"] as? String == "failed" && ($0["error"] as? String)?.contains("no edge") == true })

            let jobs = try await api.call(.get, "/v1/edge/jobs?wait=0", as: .token(credential))
            let job = try #require(jobs.items.first)
            #expect(job["id"] as? String == id && (job["targets"] as? [String]) == ["203.0.113.10", "198.51.100.1"])
            #expect((job["options"] as? [String: Any])?["port"] as? Int == 33434)
            let running = try await api.call(.get, "/v1/accounts/\(account)/traceroutes/\(id)")
            #expect(running.json["status"] as? String == "running")
            #expect((running.json["results"] as? [[String: Any]] ?? []).filter { $0["status"] as? String == "running" }.count == 2)

            let report = """
            {"results":[{"target":"203.0.113.10","reached":true,"hops":[
              {"ttl":1,"sent":3,"lost":3,"nodes":[]},
              {"ttl":2,"sent":3,"lost":0,"nodes":[{"address":"203.0.113.10","asn":64500,"as_name":"ACME","answered":3,
                "rtt_min":0.1,"rtt_mean":0.2,"rtt_max":0.3,"rtt_stddev":0.08,"reached":true}]}]}]}
            """
            #expect(try await api.call(.post, "/v1/edge/jobs/\(id)/results", as: .token(credential), json: report).status == 204)
            #expect(try await api.call(.post, "/v1/edge/jobs/\(id)/results", as: .token(credential), json: report).status == 204, "a resend is harmless")
            let stranger = #"{"results":[{"target":"203.0.113.99","reached":false,"hops":[]}]}"#
            let refused = try await api.call(.post, "/v1/edge/jobs/\(id)/results", as: .token(credential), json: stranger)
            #expect(refused.status == 400 && refused.errorField == "results[0].target")

            let partial = try await api.call(.get, "/v1/accounts/\(account)/traceroutes/\(id)")
            let done = try #require((partial.json["results"] as? [[String: Any]])?.first { $0["location"] as? String == "ams1" && $0["target"] as? String == "203.0.113.10" })
            #expect(done["status"] as? String == "done" && done["reached"] as? Bool == true)
            let hops = done["hops"] as? [[String: Any]] ?? []
            #expect(hops.count == 2 && (hops[0]["nodes"] as? [Any])?.isEmpty == true && hops[0]["lost"] as? Int == 3)

            // The second target never comes: at the deadline it fails, naming the edge's silence.
            clock.advance(3600)
            let late = try await api.call(.get, "/v1/accounts/\(account)/traceroutes/\(id)")
            #expect(late.json["status"] as? String == "complete")
            let silent = try #require((late.json["results"] as? [[String: Any]])?.first { $0["location"] as? String == "ams1" && $0["target"] as? String == "198.51.100.1" })
            #expect(silent["status"] as? String == "failed" && (silent["error"] as? String)?.contains("did not report") == true)
            let tooLate = #"{"results":[{"target":"198.51.100.1","reached":false,"hops":[]}]}"#
            #expect(try await api.call(.post, "/v1/edge/jobs/\(id)/results", as: .token(credential), json: tooLate).status == 409)
        }
    }

    @Test func anAccountCannotStartTraceroutesWithoutLimit() async throws {
        let clock = TestClock(Date())
        let core = try await TestCore.make(clock: clock)
        defer { core.remove() }
        try await core.run { api in
            let account = try await setUp(api)
            let path = "/v1/accounts/\(account)/traceroutes"
            for _ in 1...20 { #expect(try await api.call(.post, path, json: #"{"targets":["203.0.113.10"]}"#).status == 201) }
            let limited = try await api.call(.post, path, json: #"{"targets":["203.0.113.10"]}"#)
            #expect(limited.status == 429 && limited.errorCode == "rate_limited")
            clock.advance(3)
            #expect(try await api.call(.post, path, json: #"{"targets":["203.0.113.10"]}"#).status == 201, "one more after 3 s")
            #expect(try await api.call(.post, path, json: #"{"targets":["203.0.113.10"]}"#).status == 429)
        }
    }
}
