import Foundation
import HTTPTypes
import MoatCore
import Testing

/// Proves, for every account-scoped route the server registers, that one account's token cannot
/// read or change another account's objects, that a missing token is refused and that a read
/// token cannot write.
@Suite struct TenancyTests {
    /// A body that would be accepted by each writing route, so a refusal proves the tenancy check,
    /// not a validation error.
    static func validBody(_ method: String, _ path: String) -> String? {
        switch (method, path) {
        case ("post", "/v1/accounts/{account}/tokens"): return #"{"scope":"write"}"#
        case ("post", "/v1/accounts/{account}/prefixes"): return #"{"cidr":"198.51.100.0/24"}"#
        case ("post", "/v1/accounts/{account}/tunnels"):
            return #"{"name":"evil","customer_endpoint":"192.0.2.66","moat_endpoint":"192.0.2.1","interface_address":"10.99.0.0/31"}"#
        case ("post", "/v1/accounts/{account}/routes"): return #"{"prefix":"203.0.113.0/25","nexthop":"10.200.0.1","priority":1}"#
        case ("post", "/v1/accounts/{account}/firewall/rules"): return #"{"expression":"tcp.dstport == 22","action":"block"}"#
        case ("post", "/v1/accounts/{account}/firewall/lists"): return #"{"name":"evil","items":["192.0.2.0/24"]}"#
        case ("post", "/v1/accounts/{account}/apps"):
            return #"{"name":"evil","protocol":"tcp","ports":"2222","origins":[{"address":"192.0.2.66","port":"22"}]}"#
        case ("post", "/v1/accounts/{account}/traceroutes"): return #"{"targets":["203.0.113.10"]}"#
        case ("patch", "/v1/accounts/{account}"): return #"{"name":"taken"}"#
        case ("patch", "/v1/accounts/{account}/apps/{app}"): return #"{"idle_timeout":99}"#
        case ("patch", "/v1/accounts/{account}/attacks/{attack}"): return #"{"mitigation":"lifted"}"#
        case ("put", "/v1/accounts/{account}/ddos"): return #"{"automatic_mitigation":false}"#
        case ("patch", _): return #"{"description":"taken"}"#
        default: return nil
        }
    }

    @Test func everyAccountRouteKeepsTenantsApart() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        let (_, entries) = core.server.buildRouter()
        let accountRoutes = entries.filter { $0.path.hasPrefix("/v1/accounts/{account}") }
        #expect(accountRoutes.count >= 29, "expected the account routes of accounts, tokens, prefixes, tunnels, routes and the firewall")

        try await core.run { api in
            let a = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let b = try await api.create("/v1/accounts", #"{"name":"bravo"}"#)
            let aWrite = try await api.token(account: a, scope: "write")
            let aRead = try await api.token(account: a, scope: "read")
            let bWrite = try await api.token(account: b, scope: "write")
            let tokenID = try await api.call(.get, "/v1/accounts/\(a)/tokens").items.first?["id"] as? String ?? ""
            let prefix = try await api.create("/v1/accounts/\(a)/prefixes", #"{"cidr":"203.0.113.0/24"}"#)
            let tunnel = try await api.create("/v1/accounts/\(a)/tunnels",
                #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.200.0.0/31"}"#)
            let route = try await api.create("/v1/accounts/\(a)/routes", #"{"prefix":"203.0.113.0/24","nexthop":"10.200.0.1","priority":100}"#)
            let list = try await api.create("/v1/accounts/\(a)/firewall/lists", #"{"name":"office","items":["198.51.100.0/24"]}"#)
            let rule = try await api.create("/v1/accounts/\(a)/firewall/rules", #"{"expression":"ip.src in $office","action":"allow"}"#)
            try await api.call(.patch, "/v1/accounts/\(a)/prefixes/\(prefix)", json: #"{"status":"approved"}"#)
            _ = try await api.create("/v1/locations", #"{"id":"ams1","name":"Amsterdam","region":"WEUR"}"#)
            let traceroute = try await api.create("/v1/accounts/\(a)/traceroutes", #"{"targets":["203.0.113.10"]}"#, as: .token(aWrite))
            let app = try await api.create("/v1/accounts/\(a)/apps", #"{"name":"ssh","protocol":"tcp","ports":"22","origins":[{"address":"192.0.2.10","port":"22"}]}"#)
            // An attack on A's address, as an edge reports it.
            let enrolment = try await api.call(.post, "/v1/edges", json: #"{"location":"ams1"}"#)
            let edgeToken = enrolment.json["enrollment_token"] as? String ?? ""
            let credential = try await api.call(.post, "/v1/edge/enroll", as: .none, json: #"{"token":"\#(edgeToken)"}"#).json["credential"] as? String ?? ""
            let attack = "atk_00000000000000a1"
            let reported = try await api.call(.post, "/v1/edge/telemetry", as: .token(credential), json: DDoSAPITests.attack(attack, account: a))
            #expect(reported.status == 204)
            let ids = ["account": a, "prefix": prefix, "tunnel": tunnel, "route": route, "token": tokenID, "rule": rule, "list": list,
                       "traceroute": traceroute, "app": app, "attack": attack]
            let versionBefore = try await api.call(.get, "/v1/health", as: .none).json["version"] as? Int

            for entry in accountRoutes {
                var path = entry.path
                for (name, id) in ids { path = path.replacingOccurrences(of: "{\(name)}", with: id) }
                #expect(!path.contains("{"), "no fixture for \(entry.path)")
                let method = HTTPRequest.Method(rawValue: entry.method.uppercased())!
                let body = Self.validBody(entry.method, entry.path)
                let label = "\(entry.method.uppercased()) \(entry.path)"

                let other = try await api.call(method, path, as: .token(bWrite), json: body)
                #expect(other.status == 404, "\(label) with another account's token: \(other.status)")
                #expect(other.errorCode == "not_found", "\(label)")

                let anonymous = try await api.call(method, path, as: .none, json: body)
                #expect(anonymous.status == 401, "\(label) without a token: \(anonymous.status)")

                let forged = try await api.call(method, path, as: .token("moat_" + String(repeating: "0", count: 64)), json: body)
                #expect(forged.status == 401, "\(label) with an unknown token: \(forged.status)")

                if entry.method != "get" {
                    let readOnly = try await api.call(method, path, as: .token(aRead), json: body)
                    #expect(readOnly.status == 403, "\(label) with a read token: \(readOnly.status)")
                } else {
                    let own = try await api.call(method, path, as: .token(aRead))
                    // Reading tokens is the operator's; everything else is readable by the account.
                    let expected = entry.path.contains("/tokens") ? 403 : 200
                    #expect(own.status == expected, "\(label) with the account's read token: \(own.status)")
                }
            }

            // Nothing changed: same version, same objects, B owns nothing.
            let versionAfter = try await api.call(.get, "/v1/health", as: .none).json["version"] as? Int
            #expect(versionBefore == versionAfter)
            #expect(try await api.call(.get, "/v1/accounts/\(a)/prefixes", as: .token(aWrite)).items.count == 1)
            #expect(try await api.call(.get, "/v1/accounts/\(a)/tunnels", as: .token(aWrite)).items.count == 1)
            #expect(try await api.call(.get, "/v1/accounts/\(a)/routes", as: .token(aWrite)).items.count == 1)
            #expect(try await api.call(.get, "/v1/accounts/\(a)/firewall/rules", as: .token(aWrite)).items.count == 1)
            #expect(try await api.call(.get, "/v1/accounts/\(a)/firewall/lists", as: .token(aWrite)).items.first?["items"] as? [String] == ["198.51.100.0/24"])
            #expect(try await api.call(.get, "/v1/accounts/\(b)/prefixes", as: .token(bWrite)).items.isEmpty)
            #expect(try await api.call(.get, "/v1/accounts/\(a)", as: .op).json["name"] as? String == "alpha")
        }
    }

    @Test func operatorRoutesRefuseAccountTokens() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let a = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let write = try await api.token(account: a, scope: "write")
            let cases: [(HTTPRequest.Method, String, String?)] = [
                (.post, "/v1/accounts", #"{"name":"x"}"#),
                (.post, "/v1/locations", #"{"id":"ams1","region":"WEUR"}"#),
                (.post, "/v1/edges", #"{"location":"ams1"}"#),
                (.get, "/v1/edges", nil),
                (.post, "/v1/accounts/\(a)/tokens", #"{"scope":"write"}"#),
                (.get, "/v1/origin-validation", nil),
                (.put, "/v1/origin-validation/roas", "203.0.113.0/24,24,AS64500"),
                (.put, "/v1/origin-validation/irr", "route: 203.0.113.0/24\norigin: AS64500"),
                (.delete, "/v1/origin-validation/roas", nil),
                (.delete, "/v1/origin-validation/irr", nil),
            ]
            for (method, path, body) in cases {
                let answer = try await api.call(method, path, as: .token(write), json: body)
                #expect(answer.status == 403, "\(method) \(path): \(answer.status)")
            }
            // An account token sees only its own account in the list.
            let list = try await api.call(.get, "/v1/accounts", as: .token(write))
            #expect(list.items.map { $0["id"] as? String } == [a])
            // And only its own audit records.
            _ = try await api.create("/v1/accounts", #"{"name":"bravo"}"#)
            let audit = try await api.call(.get, "/v1/audit", as: .token(write))
            #expect(!audit.items.isEmpty)
            #expect(audit.items.allSatisfy { $0["account_id"] as? String == a })
        }
    }

    @Test func aPrefixBelongsToOneAccount() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let a = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let b = try await api.create("/v1/accounts", #"{"name":"bravo"}"#)
            _ = try await api.create("/v1/accounts/\(a)/prefixes", #"{"cidr":"203.0.112.0/23"}"#)
            for cidr in ["203.0.112.0/23", "203.0.113.0/24", "203.0.112.0/22"] {
                let answer = try await api.call(.post, "/v1/accounts/\(b)/prefixes", json: #"{"cidr":"\#(cidr)"}"#)
                #expect(answer.status == 409, "\(cidr): \(answer.status)")
                #expect(answer.errorField == "cidr")
            }
            // The same account may hold a more specific prefix, but not the same one twice.
            #expect(try await api.call(.post, "/v1/accounts/\(a)/prefixes", json: #"{"cidr":"203.0.113.0/24"}"#).status == 201)
            #expect(try await api.call(.post, "/v1/accounts/\(a)/prefixes", json: #"{"cidr":"203.0.112.0/23"}"#).status == 409)
            #expect(try await api.call(.get, "/v1/accounts/\(b)/prefixes").items.isEmpty)
        }
    }
}
