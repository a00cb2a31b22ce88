import Foundation
import HTTPTypes
import MoatCore
import MoatModel
import NIOCore
import Testing

/// Firewall rules and lists through the API: checked against the rule language before anything
/// is stored, kept in order, and delivered to the locations that serve the account.
@Suite struct FirewallAPITests {
    static let base = "/v1/accounts/%@/firewall"

    @Test func badExpressionsPointAtTheText() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let rules = "/v1/accounts/\(account)/firewall/rules"
            let cases: [(expression: String, fault: String)] = [
                ("tcp.dstport == \"x\"", "\"x\""),
                ("tcp.dport == 22", "tcp.dport"),
                ("ip.src in $office", "$office"),
                ("tcp.dstport == 70000", "70000"),
                ("ip.src == 192.0.2.1/24", "192.0.2.1/24"),
            ]
            for (expression, fault) in cases {
                let body = try String(decoding: JSONEncoder().encode(["expression": expression, "action": "block"]), as: UTF8.self)
                let answer = try await api.call(.post, rules, json: body)
                #expect(answer.status == 400, "\(expression)")
                #expect(answer.errorCode == "invalid_expression", "\(expression): \(answer.json)")
                #expect(answer.errorField == "expression")
                let span = try #require(answer.error["span"] as? [String: Any], "\(expression)")
                let start = try #require(span["start"] as? Int), length = try #require(span["length"] as? Int)
                let pointed = String(decoding: expression.utf8.dropFirst(start).prefix(length), as: UTF8.self)
                #expect(pointed.contains(fault) || fault.contains(pointed) && !pointed.isEmpty, "\(expression): span points at \(pointed), \(answer.json)")
            }
            let tooLong = String(repeating: "ip.frag or ", count: 800) + "ip.frag"
            let long = try await api.call(.post, rules, json: #"{"expression":"\#(tooLong)","action":"block"}"#)
            #expect(long.status == 400)
            #expect(long.errorField == "expression")
            let noRate = try await api.call(.post, rules, json: #"{"expression":"ip.frag","action":"rate_limit"}"#)
            #expect(noRate.errorField == "rate_limit")
            #expect(try await api.call(.get, rules).items.isEmpty)
        }
    }

    @Test func rulesKeepTheirOrder() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let rules = "/v1/accounts/\(account)/firewall/rules"
            let one = try await api.create(rules, #"{"expression":"tcp.dstport == 1","action":"block"}"#)
            let two = try await api.create(rules, #"{"expression":"tcp.dstport == 2","action":"log"}"#)
            let three = try await api.create(rules, #"{"expression":"tcp.dstport == 3","action":"rate_limit","rate_limit":{"packets_per_second":100}}"#)
            let zero = try await api.create(rules, #"{"expression":"tcp.dstport == 0","action":"allow","position":1}"#)
            func order() async throws -> [String] {
                let items = try await api.call(.get, rules).items
                #expect(items.map { $0["position"] as? Int } == Array(1...items.count).map { $0 })
                return items.compactMap { $0["id"] as? String }
            }
            #expect(try await order() == [zero, one, two, three])
            #expect(try await api.call(.patch, "\(rules)/\(three)", json: #"{"position":1}"#).status == 200)
            #expect(try await order() == [three, zero, one, two])
            #expect(try await api.call(.patch, "\(rules)/\(three)", json: #"{"position":99}"#).json["position"] as? Int == 4)
            #expect(try await order() == [zero, one, two, three])
            #expect(try await api.call(.delete, "\(rules)/\(zero)").status == 204)
            #expect(try await order() == [one, two, three])
            let limited = try await api.call(.get, "\(rules)/\(three)").json["rate_limit"] as? [String: Any]
            #expect(limited?["burst"] as? Int == 100)
        }
    }

    @Test func listsInUseCannotVanish() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let lists = "/v1/accounts/\(account)/firewall/lists"
            let rules = "/v1/accounts/\(account)/firewall/rules"
            let office = try await api.create(lists, #"{"name":"office","items":["198.51.100.0/24","2001:db8::1"]}"#)
            #expect(try await api.call(.get, "\(lists)/\(office)").json["items"] as? [String] == ["198.51.100.0/24", "2001:db8::1/128"])
            #expect(try await api.call(.post, lists, json: #"{"name":"office"}"#).status == 409)
            let bad = try await api.call(.post, lists, json: #"{"name":"bad","items":["198.51.100.0/24","10.0.0.1/8"]}"#)
            #expect(bad.errorField == "items[1]")
            let rule = try await api.create(rules, #"{"expression":"ip.src in $office and tcp.dstport == 22","action":"allow"}"#)
            #expect(try await api.call(.delete, "\(lists)/\(office)").status == 409)
            #expect(try await api.call(.patch, "\(lists)/\(office)", json: #"{"name":"hq"}"#).status == 409)
            // Changing the entries is fine.
            #expect(try await api.call(.patch, "\(lists)/\(office)", json: #"{"items":["203.0.113.0/24"]}"#).status == 200)
            #expect(try await api.call(.delete, "\(rules)/\(rule)").status == 204)
            #expect(try await api.call(.delete, "\(lists)/\(office)").status == 204)
        }
    }

    @Test func aListMayHoldAHundredThousandEntries() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let lists = "/v1/accounts/\(account)/firewall/lists"
            func body(_ count: Int) -> String {
                let items = (0..<count).map { "\"2001:db8:\(String($0 / 65536, radix: 16)):\(String($0 % 65536, radix: 16))::/64\"" }
                return #"{"name":"big","items":["# + items.joined(separator: ",") + "]}"
            }
            let full = body(100_000)
            #expect(full.utf8.count > 1 << 20)
            let created = try await api.call(.post, lists, json: full)
            #expect(created.status == 201)
            #expect((created.json["items"] as? [Any])?.count == 100_000)
            let over = try await api.call(.post, lists, json: body(100_001).replacingOccurrences(of: "\"big\"", with: "\"bigger\""))
            #expect(over.status == 400)
            #expect(over.errorField == "items")
        }
    }

    @Test func edgesGetTheRulesOfTheAccountsTheyServe() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let edge = try await ConfigSyncTests.enrolledEdge(api)
            let served = try await api.create("/v1/accounts", #"{"name":"served"}"#)
            let other = try await api.create("/v1/accounts", #"{"name":"not-yet"}"#)
            let prefix = try await api.create("/v1/accounts/\(served)/prefixes", #"{"cidr":"203.0.113.0/24"}"#)
            _ = try await api.call(.patch, "/v1/accounts/\(served)/prefixes/\(prefix)", json: #"{"status":"approved"}"#)
            _ = try await api.create("/v1/accounts/\(served)/firewall/rules", #"{"expression":"udp.srcport == 123","action":"block"}"#)
            _ = try await api.create("/v1/accounts/\(served)/firewall/rules", #"{"expression":"ip.frag","action":"block","enabled":false}"#)
            _ = try await api.create("/v1/accounts/\(other)/firewall/rules", #"{"expression":"ip.frag","action":"block"}"#)
            let sync = try await api.call(.get, "/v1/edge/sync?version=0&wait=0", as: .token(edge))
            let config = try MoatJSON.decoder().decode(EdgeConfig.self, from: sync.body)
            #expect(config.firewallRules.map(\.expression) == ["udp.srcport == 123"])
            #expect(config.firewallRules.allSatisfy { $0.accountID == served })
        }
    }
}
