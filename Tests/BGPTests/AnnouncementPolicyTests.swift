import BGP
import Foundation
import MoatModel
import Testing

/// What an edge announces: only the advertised prefixes it can deliver, to the peers that
/// apply to it, spread under router limits, and nothing while drained.
@Suite struct AnnouncementPolicyTests {
    static let date = Date(timeIntervalSince1970: 1_800_000_000)

    static func prefix(_ cidr: String, account: String = "acc_a", advertised: Bool = true, origin: UInt32? = nil) -> Prefix {
        Prefix(id: "pfx_\(cidr)", accountID: account, spec: PrefixSpec(cidr: CIDR(cidr)!, originASN: origin, advertised: advertised),
               status: .approved, at: date)
    }

    static func route(_ cidr: String, tunnel: String, account: String = "acc_a") -> Route {
        Route(id: "rte_\(cidr)_\(tunnel)", accountID: account, spec: RouteSpec(prefix: CIDR(cidr)!, nexthop: IPAddress("10.0.0.1")!, priority: 100),
              tunnelID: tunnel, at: date)
    }

    static func peer(_ name: String = "transit", edge: String? = nil, limit: Int? = nil, communities: [String] = ["65010:100"]) -> BGPPeer {
        BGPPeer(id: "bgp_\(name)", location: "ams1",
                spec: BGPPeerSpec(name: name, edge: edge, peerAddress: IPAddress("192.0.2.1")!, peerASN: 64500, localASN: 65010,
                                  communities: communities, largeCommunities: ["65010:1:2"], prefixLimit: limit),
                at: date)
    }

    static func config(prefixes: [Prefix], routes: [Route], peers: [BGPPeer] = [peer()], edges: [String] = ["edg_a"]) -> EdgeConfig {
        EdgeConfig(version: 1, location: "ams1", region: "WEUR", generatedAt: date, prefixes: prefixes, routes: routes, bgpPeers: peers, edges: edges)
    }

    static func decide(_ config: EdgeConfig, edge: String = "edg_a", states: [String: TunnelState]? = ["tun_1": .healthy],
                       fresh: Bool = true, drain: AnnouncementPolicy.Drain = .none) -> AnnouncementPolicy.Decision {
        AnnouncementPolicy.decide(.init(config: config, edgeID: edge, tunnelStates: states, configFresh: fresh, drain: drain))
    }

    @Test func anAdvertisedPrefixWithAWorkingTunnelIsAnnouncedWithThePeersCommunities() {
        let config = Self.config(prefixes: [Self.prefix("203.0.113.0/24", origin: 64496), Self.prefix("198.51.100.0/24", advertised: false)],
                                 routes: [Self.route("203.0.113.0/24", tunnel: "tun_1")])
        let decision = Self.decide(config)
        let announcement = decision.announcements["transit"]
        #expect(announcement?.prefixes == [CIDR("203.0.113.0/24")!])
        #expect(announcement?.origins[CIDR("203.0.113.0/24")!] == 64496, "the customer's AS originates behind ours")
        #expect(announcement?.communities == [Community(65010, 100)])
        #expect(announcement?.largeCommunities == [LargeCommunity(65010, 1, 2)])
        #expect(decision.withheld.isEmpty, "a prefix the account does not advertise is not withheld: nobody wants it")
        // A degraded tunnel still delivers.
        #expect(Self.decide(config, states: ["tun_1": .degraded]).announcements["transit"]?.prefixes.count == 1)
    }

    @Test func anEdgeThatCannotDeliverWithdrawsAndSaysWhy() {
        let wanted = Self.prefix("203.0.113.0/24")
        let routed = Self.config(prefixes: [wanted], routes: [Self.route("203.0.113.0/25", tunnel: "tun_1"), Self.route("203.0.113.128/25", tunnel: "tun_2")])
        let cases: [(AnnouncementPolicy.Decision, String)] = [
            (Self.decide(routed, states: ["tun_1": .down, "tun_2": .down]), "every tunnel of its routes is down"),
            (Self.decide(routed, states: nil), "the GRE data path is not running"),
            (Self.decide(routed, states: ["tun_9": .healthy]), "no tunnel of its routes runs on this edge (its Moat endpoint is not an address here)"),
            (Self.decide(routed, fresh: false), "the config is stale: no contact with core for too long"),
            (Self.decide(Self.config(prefixes: [wanted], routes: [])), "no route into the prefix serves this location"),
            // Another account's route into the same space does not deliver this account's prefix.
            (Self.decide(Self.config(prefixes: [wanted], routes: [Self.route("203.0.113.0/24", tunnel: "tun_1", account: "acc_b")])),
             "no route into the prefix serves this location"),
        ]
        for (decision, reason) in cases {
            #expect(decision.announcements["transit"]?.prefixes == [])
            #expect(decision.withheld[wanted.cidr] == reason)
        }
        // One of two routes with a live tunnel is enough.
        #expect(Self.decide(routed, states: ["tun_1": .down, "tun_2": .healthy]).announcements["transit"]?.prefixes == [wanted.cidr])
    }

    @Test func aDrainSignalsGracefulShutdownThenWithdraws() {
        let config = Self.config(prefixes: [Self.prefix("203.0.113.0/24")], routes: [Self.route("203.0.113.0/24", tunnel: "tun_1")])
        let signalling = Self.decide(config, drain: .signalling).announcements["transit"]
        #expect(signalling?.prefixes.count == 1)
        #expect(signalling?.communities.contains(.gracefulShutdown) == true)
        let withdrawn = Self.decide(config, drain: .withdrawn)
        #expect(withdrawn.announcements["transit"]?.prefixes == [])
        #expect(withdrawn.withheld.count == 1)
    }

    @Test func aPeerBoundToAnotherEdgeIsNotThisEdgesSession() {
        let config = Self.config(prefixes: [], routes: [], peers: [Self.peer("mine", edge: "edg_a"), Self.peer("theirs", edge: "edg_b"), Self.peer("all")])
        #expect(Set(Self.decide(config).announcements.keys) == ["mine", "all"])
    }

    @Test func underARouterLimitEachPrefixGoesToTwoEdgesAndNoneExceedsTheLimit() {
        let edges = ["edg_a", "edg_b", "edg_c", "edg_d"]
        let prefixes = (0..<6).map { Self.prefix("203.0.\(100 + $0).0/24") }
        let routes = prefixes.map { Self.route($0.cidr.description, tunnel: "tun_1") }
        let config = Self.config(prefixes: prefixes, routes: routes, peers: [Self.peer(limit: 3)], edges: edges)
        var announcers: [CIDR: Int] = [:]
        for edge in edges {
            let decision = Self.decide(config, edge: edge)
            let announced = decision.announcements["transit"]?.prefixes ?? []
            #expect(announced.count <= 3, "\(edge) announces \(announced.count) > 3")
            #expect(decision.errors.isEmpty)
            for prefix in announced { announcers[prefix, default: 0] += 1 }
        }
        #expect(announcers.count == 6)
        #expect(announcers.values.allSatisfy { $0 == 2 })
    }

    @Test func anImpossibleSpreadIsReportedAndStaysUnderTheLimit() {
        let prefixes = (0..<3).map { Self.prefix("203.0.\(100 + $0).0/24") }
        let config = Self.config(prefixes: prefixes, routes: prefixes.map { Self.route($0.cidr.description, tunnel: "tun_1") },
                                 peers: [Self.peer(limit: 2)], edges: ["edg_a"])
        let decision = Self.decide(config)
        #expect(decision.announcements["transit"]?.prefixes.count == 2)
        #expect(decision.errors["transit"]?.contains("do not fit") == true, "\(decision.errors)")
    }
}
