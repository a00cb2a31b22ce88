import Foundation
import MoatCore
import MoatModel
import Testing

@Suite struct ConfigCompilerTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func route(_ prefix: String, scope: Route.Scope) throws -> Route {
        Route(accountID: "acc_1", spec: RouteSpec(prefix: try CIDR.parse(prefix), nexthop: IPAddress("10.200.0.1")!, priority: 1, scope: scope),
              tunnelID: "tun_1", at: now)
    }

    @Test func eachLocationGetsOnlyItsRoutesAndApprovedPrefixes() throws {
        let ams = Location(id: "ams1", name: "Amsterdam", region: "WEUR", createdAt: now)
        let sjc = Location(id: "sjc1", name: "San Jose", region: "WNAM", createdAt: now)
        let routes = [try route("203.0.113.0/24", scope: .init()),
                      try route("203.0.113.0/25", scope: .init(locations: ["ams1"])),
                      try route("203.0.113.128/25", scope: .init(regions: ["WNAM"]))]
        let approved = Prefix(accountID: "acc_1", spec: PrefixSpec(cidr: try CIDR.parse("203.0.113.0/24")), status: .approved, at: now)
        let pending = Prefix(accountID: "acc_1", spec: PrefixSpec(cidr: try CIDR.parse("198.51.100.0/24")), at: now)

        let amsConfig = ConfigCompiler.compile(location: ams, prefixes: [pending, approved], tunnels: [], routes: routes, version: 3, at: now)
        #expect(amsConfig.routes.map(\.prefix.description) == ["203.0.113.0/24", "203.0.113.0/25"])
        #expect(amsConfig.prefixes == [approved])
        let sjcConfig = ConfigCompiler.compile(location: sjc, prefixes: [approved], tunnels: [], routes: routes, version: 3, at: now)
        #expect(sjcConfig.routes.map(\.prefix.description) == ["203.0.113.0/24", "203.0.113.128/25"])
    }

    @Test func theDigestIgnoresVersionAndTimeButNotContent() throws {
        let ams = Location(id: "ams1", name: "Amsterdam", region: "WEUR", createdAt: now)
        let one = ConfigCompiler.compile(location: ams, prefixes: [], tunnels: [], routes: [], version: 1, at: now)
        let two = ConfigCompiler.compile(location: ams, prefixes: [], tunnels: [], routes: [], version: 9, at: now.addingTimeInterval(60))
        #expect(try ConfigCompiler.digest(one) == ConfigCompiler.digest(two))
        let changed = ConfigCompiler.compile(location: ams, prefixes: [], tunnels: [], routes: [try route("203.0.113.0/24", scope: .init())], version: 1, at: now)
        #expect(try ConfigCompiler.digest(one) != ConfigCompiler.digest(changed))
    }
}
