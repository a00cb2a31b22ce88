import BGP
import MoatModel
import Testing

/// The routes a peer sent: kept up to the limit, withdrawn as told, and asked for the origin
/// AS of the longest match.
@Suite struct ReceivedRoutesTests {
    static func announce(_ prefixes: [String], path: [UInt32]) -> UpdateMessage {
        let v4 = prefixes.compactMap(CIDR.init).filter(\.isIPv4)
        let v6 = prefixes.compactMap(CIDR.init).filter { !$0.isIPv4 }
        var attributes: [PathAttribute] = [.origin(.igp), .asPath(.sequence(path)), .nextHop(IPAddress("192.0.2.1")!)]
        if !v6.isEmpty { attributes.append(.mpReachNLRI(MultiprotocolReach(family: .ipv6Unicast, nextHop: IPAddress("2001:db8::1")!, nlri: v6))) }
        return UpdateMessage(attributes: attributes, nlri: v4)
    }

    @Test func theLongestMatchGivesTheOriginAS() {
        var routes = ReceivedRoutes(limit: 100)
        routes.apply(Self.announce(["198.51.0.0/16"], path: [64500, 64501]))
        routes.apply(Self.announce(["198.51.100.0/24", "2001:db8:100::/48"], path: [64500, 64502, 64503]))
        #expect(routes.count == 3)
        #expect(routes.longestMatch(IPAddress("198.51.100.7")!)?.route.originAS == 64503)
        #expect(routes.longestMatch(IPAddress("198.51.7.7")!)?.route.originAS == 64501)
        #expect(routes.longestMatch(IPAddress("2001:db8:100::1")!)?.prefix == CIDR("2001:db8:100::/48"))
        #expect(routes.longestMatch(IPAddress("203.0.113.1")!) == nil)

        routes.apply(UpdateMessage(withdrawn: [CIDR("198.51.100.0/24")!]))
        #expect(routes.longestMatch(IPAddress("198.51.100.7")!)?.route.originAS == 64501)
        #expect(routes.count == 2)
    }

    @Test func beyondTheLimitNewRoutesAreDroppedAndCountedButReplacementsAreKept() {
        var routes = ReceivedRoutes(limit: 2)
        routes.apply(Self.announce(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], path: [64500]))
        #expect(routes.count == 2)
        #expect(routes.dropped == 1)
        routes.apply(Self.announce(["10.0.0.0/8"], path: [64500, 64999]))
        #expect(routes.route(for: CIDR("10.0.0.0/8")!)?.originAS == 64999, "a replacement is no new route")
        #expect(routes.count == 2)
        routes.clear()
        #expect(routes.count == 0 && routes.dropped == 0)
    }

    @Test func anUpdateTreatedAsWithdrawRemovesItsRoutes() {
        var routes = ReceivedRoutes(limit: 10)
        routes.apply(Self.announce(["10.0.0.0/8"], path: [64500]))
        var broken = Self.announce(["10.0.0.0/8"], path: [64500])
        broken.errors = [BGPDecodeError(.malformedAttributeList, .treatAsWithdraw)]
        routes.apply(broken)
        #expect(routes.count == 0)
    }
}
