import BGP
import MoatEdge
import MoatModel
import Testing
import Traceroute

/// Where a hop's AS number comes from: the edge's BGP table (origin AS of the longest match)
/// before the operator's IP-to-ASN file, which still names the AS.
@Suite struct ASNResolverTests {
    /// One peer's Adj-RIB-In, asked the way the edge's speaker asks its sessions.
    struct Table: OriginASLookup {
        var routes = ReceivedRoutes(limit: 100)

        func originAS(of address: IPAddress) -> UInt32? { routes.longestMatch(address)?.route.originAS }

        mutating func announce(_ prefix: String, path: [UInt32]) {
            let attributes: [PathAttribute] = [.origin(.igp), .asPath(.sequence(path)), .nextHop(IPAddress("10.0.1.1")!)]
            routes.apply(UpdateMessage(attributes: attributes, nlri: [CIDR(prefix)!]))
        }
    }

    static let file = try! ASNTable.parse("""
    10.0.0.0\t10.0.255.255\t64501\tTRANSIT-A
    203.0.113.0\t203.0.113.255\t64500\tACME
    198.51.100.0\t198.51.100.255\t64499\tOTHER
    192.0.2.0\t192.0.2.255\t64496\tDOC-NET
    """)

    static func node(_ address: String) -> TracerouteNode {
        TracerouteNode(address: IPAddress(address)!, answered: 1, rttMin: 1, rttMean: 1, rttMax: 1, rttStddev: 0, reached: false)
    }

    @Test func theBGPTablesOriginASWinsOverTheFileAndTheFileNamesIt() {
        var table = Table()
        // A covering route and a more specific one with a longer path: the longest match counts.
        table.announce("10.0.0.0/8", path: [64510, 64496])
        table.announce("10.0.12.0/24", path: [64510, 64511, 64500])
        let resolver = ASNResolver(bgp: table, table: Self.file)

        #expect(resolver.lookup(IPAddress("10.0.12.2")!)! == (64500, "ACME"), "the /24's origin, named from the file")
        #expect(resolver.lookup(IPAddress("10.0.45.2")!)! == (64496, "DOC-NET"), "the /8's origin over the file's 64501 for that range")
        #expect(resolver.lookup(IPAddress("198.51.100.7")!)! == (64499, "OTHER"), "no route: the file answers")
        #expect(resolver.lookup(IPAddress("172.16.0.1")!) == nil, "neither knows it")

        table.announce("172.16.0.0/12", path: [64510, 4_200_000_000])
        let unnamed = ASNResolver(bgp: table, table: Self.file).lookup(IPAddress("172.16.0.1")!)
        #expect(unnamed?.asn == 4_200_000_000 && unnamed?.name == nil, "a 4-octet origin the file does not name: \(String(describing: unnamed))")

        let hops = resolver.annotate([TracerouteHop(ttl: 1, sent: 2, lost: 0, nodes: [Self.node("10.0.12.2"), Self.node("198.51.100.7")])])
        #expect(hops[0].nodes.map(\.asn) == [64500, 64499])
        #expect(hops[0].nodes.map(\.asName) == ["ACME", "OTHER"])
    }

    @Test func withoutABGPTableTheFileAlone() {
        let resolver = ASNResolver(bgp: nil, table: Self.file)
        #expect(resolver.lookup(IPAddress("10.0.12.2")!)! == (64501, "TRANSIT-A"))
        #expect(ASNResolver(bgp: Table(), table: nil).lookup(IPAddress("10.0.12.2")!) == nil, "an empty table and no file")
    }
}
