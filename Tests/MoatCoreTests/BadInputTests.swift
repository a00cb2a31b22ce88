import Foundation
import HTTPTypes
import MoatCore
import NIOCore
import Testing

/// Malformed or invalid input gets a 4xx JSON error naming the field, and changes nothing.
@Suite struct BadInputTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var body: String
        var status: Int
        var code: String
        var field: String?
        var testDescription: String { body }
    }

    static let tunnelCases: [Case] = [
        Case(body: #"{"name": "gre1", "#, status: 400, code: "invalid_json", field: nil),
        Case(body: #"[1, 2]"#, status: 400, code: "invalid_type", field: nil),
        Case(body: #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.0.0.0/31","colour":"red"}"#, status: 400, code: "unknown_field", field: "colour"),
        Case(body: #"{"customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.0.0.0/31"}"#, status: 400, code: "missing_field", field: "name"),
        Case(body: #"{"name":"gre1","customer_endpoint":"198.51.100.300","moat_endpoint":"192.0.2.1","interface_address":"10.0.0.0/31"}"#, status: 400, code: "invalid_address", field: "customer_endpoint"),
        Case(body: #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.0.0.0/33"}"#, status: 400, code: "invalid_cidr", field: "interface_address"),
        Case(body: #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.0.0.0/29"}"#, status: 400, code: "invalid_cidr", field: "interface_address"),
        Case(body: #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.0.0.0/31","mtu":575}"#, status: 400, code: "out_of_range", field: "mtu"),
        Case(body: #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.0.0.0/31","ttl":256}"#, status: 400, code: "out_of_range", field: "ttl"),
        Case(body: #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.0.0.0/31","ttl":"64"}"#, status: 400, code: "invalid_type", field: "ttl"),
        Case(body: #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.0.0.0/31","ttl":64.5}"#, status: 400, code: "invalid_type", field: "ttl"),
        Case(body: #"{"name":"a-name-of-16-chr","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.0.0.0/31"}"#, status: 400, code: "invalid_value", field: "name"),
        Case(body: #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.0.0.0/31","health_check":{"rate":"fast"}}"#, status: 400, code: "invalid_value", field: "health_check.rate"),
        Case(body: #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.0.0.0/31","health_check":{"tpye":"reply"}}"#, status: 400, code: "unknown_field", field: "health_check.tpye"),
        Case(body: #"{"name":"gre1","customer_endpoint":"2001:db8::1","moat_endpoint":"192.0.2.1","interface_address":"10.0.0.0/31"}"#, status: 400, code: "invalid_address", field: "customer_endpoint"),
        Case(body: #"{"name":"gre1","customer_endpoint":"192.0.2.9","moat_endpoint":"2001:db8::1","interface_address":"10.0.0.0/31"}"#, status: 400, code: "invalid_address", field: "moat_endpoint"),
    ]

    @Test(arguments: tunnelCases)
    func tunnelBodiesAreRejected(_ bad: Case) async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let before = try await api.call(.get, "/v1/health", as: .none).json["version"] as? Int
            let answer = try await api.call(.post, "/v1/accounts/\(account)/tunnels", json: bad.body)
            #expect(answer.status == bad.status)
            #expect(answer.errorCode == bad.code)
            #expect(answer.errorField == bad.field)
            #expect((answer.error["message"] as? String)?.isEmpty == false)
            #expect(answer.headers[.contentType] == "application/json")
            #expect(try await api.call(.get, "/v1/accounts/\(account)/tunnels").items.isEmpty)
            #expect(try await api.call(.get, "/v1/health", as: .none).json["version"] as? Int == before)
        }
    }

    @Test func routesAndPrefixesNameTheField() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            _ = try await api.create("/v1/locations", #"{"id":"ams1","name":"Amsterdam","region":"WEUR"}"#)
            _ = try await api.create("/v1/accounts/\(account)/prefixes", #"{"cidr":"203.0.113.0/24"}"#)
            _ = try await api.create("/v1/accounts/\(account)/tunnels",
                #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.200.0.0/31"}"#)
            let routes = "/v1/accounts/\(account)/routes"
            let cases: [(String, String, String)] = [
                (#"{"prefix":"203.0.113.0/24","nexthop":"10.200.0.0","priority":1}"#, "invalid_value", "nexthop"),
                (#"{"prefix":"198.51.100.0/24","nexthop":"10.200.0.1","priority":1}"#, "invalid_value", "prefix"),
                (#"{"prefix":"203.0.113.0/24","nexthop":"10.200.0.1","priority":1,"weight":257}"#, "out_of_range", "weight"),
                (#"{"prefix":"203.0.113.0/24","nexthop":"10.200.0.1","priority":-1}"#, "out_of_range", "priority"),
                (#"{"prefix":"203.0.113.0/24","nexthop":"10.200.0.1"}"#, "missing_field", "priority"),
                (#"{"prefix":"203.0.113.0/24","nexthop":"10.200.0.1","priority":1,"scope":{"locations":["ams1","fra1"]}}"#, "invalid_value", "scope.locations[1]"),
                (#"{"prefix":"203.0.113.0/24","nexthop":"10.200.0.1","priority":1,"scope":{"regions":["weur"]}}"#, "invalid_value", "scope.regions[0]"),
                (#"{"prefix":"203.0.113.0/24","nexthop":"10.200.0.1","priority":1,"scope":{"locations":[7]}}"#, "invalid_type", "scope.locations[0]"),
            ]
            for (body, code, field) in cases {
                let answer = try await api.call(.post, routes, json: body)
                #expect(answer.status == 400, "\(body)")
                #expect(answer.errorCode == code, "\(body): \(answer.json)")
                #expect(answer.errorField == field, "\(body): \(answer.json)")
            }
            #expect(try await api.call(.get, routes).items.isEmpty)

            let prefixes = "/v1/accounts/\(account)/prefixes"
            let prefixCases: [(String, String, String)] = [
                (#"{"cidr":"203.0.114.1/24"}"#, "invalid_cidr", "cidr"),
                (#"{"cidr":"203.0.114.0/25"}"#, "invalid_cidr", "cidr"),
                (#"{"cidr":"2001:db8::/64"}"#, "invalid_cidr", "cidr"),
                (#"{"cidr":"203.0.114.0/24","origin_asn":4294967296}"#, "out_of_range", "origin_asn"),
                (#"{"cidr":"203.0.114.0/24","origin_asn":23456}"#, "invalid_value", "origin_asn"),
                (#"{"cidr":"203.0.114.0/24","status":"approved"}"#, "invalid_value", "status"),
            ]
            for (body, code, field) in prefixCases {
                let answer = try await api.call(.post, prefixes, json: body)
                #expect(answer.status == 400, "\(body)")
                #expect(answer.errorCode == code, "\(body): \(answer.json)")
                #expect(answer.errorField == field, "\(body): \(answer.json)")
            }
            #expect(try await api.call(.get, prefixes).items.count == 1)
        }
    }

    @Test func oversizedBodiesAndUnknownRoutesAreJSONErrors() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let big = ByteBuffer(repeating: UInt8(ascii: " "), count: (1 << 20) + 1)
            let answer = try await api.call(.post, "/v1/accounts", raw: big)
            #expect(answer.status == 413)
            #expect(answer.errorCode == "body_too_large")
            #expect(try await api.call(.get, "/v1/accounts").items.isEmpty)

            let missing = try await api.call(.get, "/v1/nothing-here")
            #expect(missing.status == 404)
            #expect(missing.errorCode == "not_found")

            let empty = try await api.call(.post, "/v1/accounts", json: "")
            #expect(empty.status == 400)
            #expect(empty.errorCode == "invalid_json")

            let badQuery = try await api.call(.get, "/v1/audit?limit=0")
            #expect(badQuery.status == 400)
            #expect(badQuery.errorField == "limit")
        }
    }
}
