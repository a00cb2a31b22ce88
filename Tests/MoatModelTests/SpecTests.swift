import Foundation
import MoatModel
import Testing

@Suite struct SpecTests {
    func json(_ text: String) throws -> JSONValue { try JSONValue.parse(Data(text.utf8)) }

    @Test func tunnelDefaultsFollowTheDesign() throws {
        let spec = try TunnelSpec(json: json(#"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.200.0.0/31"}"#))
        #expect(spec.ttl == 64)
        #expect(spec.mtu == 1476)
        #expect(spec.healthCheck == Tunnel.HealthCheck(enabled: true, type: .reply, direction: .unidirectional, rate: .mid, target: nil))
        let tunnel = Tunnel(accountID: "acc_1", spec: spec, at: Date())
        #expect(tunnel.edgeAddress.description == "10.200.0.0")
        #expect(tunnel.customerAddress.description == "10.200.0.1")
        #expect(tunnel.mss == 1436)
    }

    @Test func aSlash30UsesTheFirstTwoHosts() throws {
        let sides = TunnelSpec.sides(of: try CIDR.parse("10.200.0.4/30"))
        #expect(sides.edge.description == "10.200.0.5")
        #expect(sides.customer.description == "10.200.0.6")
    }

    @Test(arguments: [
        (#"{"mtu":575}"#, "mtu"),
        (#"{"mtu":1477}"#, "mtu"),
        (#"{"name":"sixteen-chars-xx"}"#, "name"),
        (#"{"name":"bad name"}"#, "name"),
        (#"{"interface_address":"10.200.0.0/32"}"#, "interface_address"),
        (#"{"interface_address":"2001:db8::/127"}"#, "interface_address"),
        (#"{"health_check":{"direction":"both"}}"#, "health_check.direction"),
        (#"{"health_check":{"target":"2001:db8::1"}}"#, "health_check.target"),
        (#"{"ttl":0}"#, "ttl"),
        (#"{"id":"x"}"#, "id"),
    ])
    func aTunnelPatchNamesTheBadField(_ patch: String, _ field: String) throws {
        var spec = TunnelSpec(name: "gre1", customerEndpoint: IPAddress("198.51.100.1")!, moatEndpoint: IPAddress("192.0.2.1")!,
                              interfaceAddress: try CIDR.parse("10.200.0.0/31"))
        let before = spec
        #expect { try spec.apply(patch: json(patch)) } throws: { ($0 as? ValidationError)?.field == field }
        _ = before
    }

    @Test func readersRejectUnknownAndMistypedFields() throws {
        #expect { try AccountSpec(json: json(#"{"name":"a","nmae":"b"}"#)) } throws: { ($0 as? ValidationError) == ValidationError(.unknownField, "unknown field 'nmae'", field: "nmae") }
        #expect { try AccountSpec(json: json(#"{"name":7}"#)) } throws: { ($0 as? ValidationError)?.code == .invalidType }
        #expect { try AccountSpec(json: json(#"{"name":"   "}"#)) } throws: { ($0 as? ValidationError)?.field == "name" }
        #expect { try LocationSpec(json: json(#"{"id":"Ams1","region":"WEUR"}"#)) } throws: { ($0 as? ValidationError)?.field == "id" }
        #expect { try LocationSpec(json: json(#"{"id":"ams1","region":"weur"}"#)) } throws: { ($0 as? ValidationError)?.field == "region" }
        #expect { try TokenSpec(json: json(#"{"scope":"operator"}"#)) } throws: { ($0 as? ValidationError)?.field == "scope" }
        #expect { try JSONValue.parse(Data("{\"a\":".utf8)) } throws: { ($0 as? ValidationError)?.code == .invalidJSON }
        // The message says where the text stops being JSON.
        #expect { try JSONValue.parse(Data("{\"name\": x}".utf8)) } throws: { ($0 as? ValidationError)?.message.contains("character 9") == true }
    }

    @Test func routeScopeKeepsOrderAndDropsRepeats() throws {
        let spec = try RouteSpec(json: json(#"{"prefix":"203.0.113.0/24","nexthop":"10.200.0.1","priority":5,"scope":{"locations":["fra1","ams1","fra1"]}}"#))
        #expect(spec.scope.locations == ["fra1", "ams1"])
        #expect(spec.weight == 100)
        #expect(spec.scope.includes(location: "ams1", region: "WEUR"))
        #expect(!spec.scope.includes(location: "sjc1", region: "WNAM"))
        #expect(Route.Scope().includes(location: "sjc1", region: "WNAM"))
        #expect(Route.Scope(regions: ["WNAM"]).includes(location: "sjc1", region: "WNAM"))
    }

    @Test func prefixPatchDistinguishesNullFromAbsent() throws {
        let prefix = Prefix(accountID: "acc_1", spec: PrefixSpec(cidr: try CIDR.parse("203.0.113.0/24"), description: "web", originASN: 64500), at: Date())
        let cleared = try PrefixPatch(json: json(#"{"description":null}"#)).applied(to: prefix)
        #expect(cleared.description == nil)
        #expect(cleared.originASN == 64500)
        let untouched = try PrefixPatch(json: json(#"{"advertised":true}"#)).applied(to: prefix)
        #expect(untouched.description == "web")
        #expect(untouched.advertised)
    }

    @Test func edgeConfigsRoundTripThroughJSON() throws {
        let spec = try TunnelSpec(json: json(#"{"name":"gre1","customer_endpoint":"192.0.2.1","moat_endpoint":"198.51.100.2","interface_address":"10.200.0.0/31"}"#))
        let config = EdgeConfig(version: 7, location: "ams1", region: "WEUR", generatedAt: Date(timeIntervalSince1970: 1_800_000_000.125),
                                tunnels: [Tunnel(accountID: "acc_1", spec: spec, at: Date(timeIntervalSince1970: 1_800_000_000))])
        let data = try MoatJSON.encoder().encode(config)
        #expect(try MoatJSON.decoder().decode(EdgeConfig.self, from: data) == config)
        #expect(String(decoding: data, as: UTF8.self).contains(#""customer_endpoint":"192.0.2.1""#))
    }
}
