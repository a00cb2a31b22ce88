import Foundation
import HTTPTypes
import MoatCore
import MoatModel
import Testing

/// `/v1/locations/{location}/bgp-peers`: operator configuration that reaches the location's
/// edges with its MD5 key, and never shows the key.
@Suite struct BGPPeersAPITests {
    static let peer = #"{"name":"transit-a","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010,"md5_key":"s3cret","communities":["64500:666"]}"#

    @Test func aPeerReachesTheLocationsEdgesWithItsKeyAndTheAPINeverShowsIt() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let edge = try await ConfigSyncTests.enrolledEdge(api)
            let created = try await api.call(.post, "/v1/locations/ams1/bgp-peers", json: Self.peer)
            #expect(created.status == 201)
            #expect(created.json["md5_key"] == nil)
            #expect(created.json["md5_key_set"] as? Bool == true)
            #expect(created.json["hold_time"] as? Int == 90)
            #expect(created.json["graceful_restart"] as? Bool == true)
            let list = try await api.call(.get, "/v1/locations/ams1/bgp-peers")
            #expect(list.items.count == 1)
            #expect(list.items.allSatisfy { $0["md5_key"] == nil })

            let sync = try await api.call(.get, "/v1/edge/sync?version=0&wait=0", as: .token(edge))
            let config = try MoatJSON.decoder().decode(EdgeConfig.self, from: sync.body)
            #expect(config.bgpPeers.map(\.name) == ["transit-a"])
            #expect(config.bgpPeers.first?.md5Key == "s3cret")
            #expect(config.edges.count == 1, "the enrolled edge is in its location's list")

            // Other locations do not get it.
            let fra = try await api.call(.post, "/v1/edges", json: #"{"location":"fra1"}"#)
            #expect(fra.status == 201)

            // Changing it keeps the key unless told otherwise; null removes it.
            let changed = try await api.call(.patch, "/v1/locations/ams1/bgp-peers/\(created.id)", json: #"{"hold_time":30}"#)
            #expect(changed.status == 200)
            #expect(changed.json["md5_key_set"] as? Bool == true)
            let cleared = try await api.call(.patch, "/v1/locations/ams1/bgp-peers/\(created.id)", json: #"{"md5_key":null}"#)
            #expect(cleared.json["md5_key_set"] as? Bool == false)

            // The location cannot go while it has peers.
            #expect(try await api.call(.delete, "/v1/locations/ams1").status == 409)
            #expect(try await api.call(.delete, "/v1/locations/ams1/bgp-peers/\(created.id)").status == 204)
            #expect(try await api.call(.get, "/v1/locations/ams1/bgp-peers/\(created.id)").status == 404)
        }
    }

    @Test func badPeersAreRefusedWithTheFieldAndChangeNothing() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            _ = try await api.create("/v1/locations", #"{"id":"ams1","region":"WEUR"}"#)
            _ = try await api.create("/v1/locations", #"{"id":"fra1","region":"WEUR"}"#)
            let cases: [(String, Int, String)] = [
                (#"{"name":"a","peer_address":"192.0.2.1","peer_asn":64500}"#, 400, "local_asn"),
                (#"{"name":"a","peer_address":"192.0.2.1","peer_asn":23456,"local_asn":65010}"#, 400, "peer_asn"),
                (#"{"name":"a","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010,"hold_time":2}"#, 400, "hold_time"),
                (#"{"name":"a","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010,"communities":["1:2","70000:1"]}"#, 400, "communities[1]"),
                (#"{"name":"a","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010,"large_communities":["1:2"]}"#, 400, "large_communities[0]"),
                (#"{"name":"a","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010,"local_address":"2001:db8::1"}"#, 400, "local_address"),
                (#"{"name":"a","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010,"next_hop_ipv6":"192.0.2.9"}"#, 400, "next_hop_ipv6"),
                (#"{"name":"a","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010,"md5_key":""}"#, 400, "md5_key"),
                (#"{"name":"Transit A","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010}"#, 400, "name"),
                (#"{"name":"a","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010,"edge":"edg_0000000000000000"}"#, 400, "edge"),
                (#"{"name":"a","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010,"colour":"red"}"#, 400, "colour"),
            ]
            for (body, status, field) in cases {
                let answer = try await api.call(.post, "/v1/locations/ams1/bgp-peers", json: body)
                #expect(answer.status == status, "\(body) → \(answer.status)")
                #expect(answer.errorField == field, "\(body) → field \(answer.errorField ?? "nil")")
            }
            #expect(try await api.call(.get, "/v1/locations/ams1/bgp-peers").items.isEmpty)

            _ = try await api.create("/v1/locations/ams1/bgp-peers", #"{"name":"a","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010}"#)
            let sameName = try await api.call(.post, "/v1/locations/ams1/bgp-peers", json: #"{"name":"a","peer_address":"192.0.2.2","peer_asn":64500,"local_asn":65010}"#)
            #expect(sameName.status == 409)
            let sameRouter = try await api.call(.post, "/v1/locations/ams1/bgp-peers", json: #"{"name":"b","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010}"#)
            #expect(sameRouter.status == 409)
            #expect(sameRouter.errorField == "peer_address")
            // The same router in another location is another session.
            #expect(try await api.call(.post, "/v1/locations/fra1/bgp-peers", json: #"{"name":"a","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010}"#).status == 201)
            #expect(try await api.call(.get, "/v1/locations/nowhere/bgp-peers").status == 404)
        }
    }

    @Test func accountsCannotSeeOrChangePeers() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            _ = try await api.create("/v1/locations", #"{"id":"ams1","region":"WEUR"}"#)
            let peer = try await api.create("/v1/locations/ams1/bgp-peers", Self.peer)
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let token = try await api.token(account: account, scope: "write")
            let cases: [(HTTPRequest.Method, String, String?)] = [
                (.get, "/v1/locations/ams1/bgp-peers", nil),
                (.post, "/v1/locations/ams1/bgp-peers", Self.peer),
                (.get, "/v1/locations/ams1/bgp-peers/\(peer)", nil),
                (.patch, "/v1/locations/ams1/bgp-peers/\(peer)", #"{"hold_time":9}"#),
                (.delete, "/v1/locations/ams1/bgp-peers/\(peer)", nil),
            ]
            for (method, path, body) in cases {
                let answer = try await api.call(method, path, as: .token(token), json: body)
                #expect(answer.status == 403, "\(method) \(path): \(answer.status)")
            }
        }
    }

    /// A prefix without `origin_asn` is originated by Moat's own AS: the local AS of the BGP
    /// peers is what the operator's ROAs must authorise.
    @Test func withoutAnOriginASThePeersLocalASIsCheckedAgainstTheROAs() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            _ = try await api.create("/v1/locations", #"{"id":"ams1","region":"WEUR"}"#)
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let roas = "prefix,max_length,asn\n203.0.113.0/24,24,AS65010\n198.51.100.0/24,24,AS64999\n"
            #expect(try await OriginValidationAPITests.load(api, "roas", roas).status == 200)
            // No peer yet: nothing says which AS announces it.
            let unknown = try await api.call(.post, "/v1/accounts/\(account)/prefixes", json: #"{"cidr":"203.0.113.0/24"}"#)
            #expect(unknown.status == 422 && unknown.errorField == "origin_asn")
            _ = try await api.create("/v1/locations/ams1/bgp-peers", #"{"name":"transit","peer_address":"192.0.2.1","peer_asn":64500,"local_asn":65010}"#)
            #expect(try await api.call(.post, "/v1/accounts/\(account)/prefixes", json: #"{"cidr":"203.0.113.0/24"}"#).status == 201)
            let wrong = try await api.call(.post, "/v1/accounts/\(account)/prefixes", json: #"{"cidr":"198.51.100.0/24"}"#)
            #expect(wrong.status == 422 && String(decoding: wrong.body, as: UTF8.self).contains("AS65010"))
        }
    }
}
