import MoatModel
import Testing
@testable import BGP

/// One golden vector per path attribute (flags, type, length, value), written from the
/// attribute's RFC; each is encoded, and decoded inside an UPDATE.
@Suite struct PathAttributeTests {
    static func encoded(_ attribute: PathAttribute, _ options: BGPCodecOptions) throws -> [UInt8] {
        var bytes: [UInt8] = []
        try UpdateEncoder(options: options).encode(attribute, into: &bytes)
        return bytes
    }

    /// The UPDATE carrying only these attribute bytes, decoded.
    static func decoded(_ attributes: [UInt8], _ options: BGPCodecOptions, nlri: [UInt8] = []) throws -> UpdateMessage {
        let body = [0, 0, UInt8(attributes.count >> 8), UInt8(attributes.count & 0xff)] + attributes + nlri
        guard case .update(let update) = try BGPMessageDecoder(options: options).decode(message(.update, body)) else {
            Issue.record("not an UPDATE")
            return UpdateMessage()
        }
        return update
    }

    func check(_ attribute: PathAttribute, _ wire: String, _ options: BGPCodecOptions = .fourOctetDualStack,
               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let bytes = hex(wire)
        #expect(spaced(try Self.encoded(attribute, options)) == spaced(bytes), sourceLocation: sourceLocation)
        let update = try Self.decoded(bytes, options)
        #expect(update.attributes == [attribute], sourceLocation: sourceLocation)
        // An attribute alone in an UPDATE may leave well-known ones missing; nothing else may be wrong.
        #expect(update.errors.filter { $0.code != .missingWellKnownAttribute } == [], sourceLocation: sourceLocation)
    }

    @Test func origin() throws {
        try check(.origin(.igp), "40 01 01 00")
        try check(.origin(.egp), "40 01 01 01")
        try check(.origin(.incomplete), "40 01 01 02")
    }

    @Test func asPathWithFourOctetNumbers() throws {
        let path = ASPath([.init(.sequence, [65001, 65002]), .init(.set, [65003])])
        try check(.asPath(path), "40 02 10  02 02 0000fde9 0000fdea  01 01 0000fdeb")
        #expect(path.length == 3)
        #expect(path.description == "65001 65002 {65003}")
    }

    @Test func asPathWithTwoOctetNumbers() throws {
        let path = ASPath([.init(.sequence, [65001, 65002]), .init(.set, [65003])])
        try check(.asPath(path), "40 02 0a  02 02 fde9 fdea  01 01 fdeb", .twoOctetIPv4)
        try check(.asPath(ASPath()), "40 02 00", .twoOctetIPv4)
    }

    @Test func asPathLongerThan255IsSplit() throws {
        let path = ASPath.sequence(Array(1...300))
        let bytes = try Self.encoded(.asPath(path), .fourOctetIPv4)
        #expect(Array(bytes.prefix(4)) == [0x50, 0x02, 0x04, 0xb4]) // extended length, 1,204 bytes
        let update = try Self.decoded(bytes, .fourOctetIPv4)
        #expect(update.asPath?.segments.map(\.asns.count) == [255, 45])
        #expect(update.asPath?.length == 300)
    }

    @Test func nextHop() throws {
        try check(.nextHop(IPAddress("192.0.2.1")!), "40 03 04 c0000201")
    }

    @Test func multiExitDiscriminator() throws {
        try check(.multiExitDiscriminator(100), "80 04 04 00000064")
    }

    @Test func localPreferenceFromAnInternalPeer() throws {
        try check(.localPreference(200), "40 05 04 000000c8",
                  BGPCodecOptions(fourOctetAS: true, families: [.ipv4Unicast], peerIsInternal: true))
    }

    @Test func localPreferenceFromAnExternalPeerIsDiscarded() throws {
        // RFC 7606 §7.5.
        let update = try Self.decoded(hex("40 05 04 000000c8"), .fourOctetIPv4)
        #expect(update.attributes.isEmpty)
        #expect(update.errors.isEmpty)
    }

    @Test func atomicAggregateAndAggregator() throws {
        try check(.atomicAggregate, "40 06 00")
        let aggregator = Aggregator(autonomousSystem: 65001, address: 0xc000_0201)
        try check(.aggregator(aggregator), "c0 07 08 0000fde9 c0000201")
        try check(.aggregator(aggregator), "c0 07 06 fde9 c0000201", .twoOctetIPv4)
    }

    @Test func communitiesIncludingGracefulShutdown() throws {
        let list = [Community(65001, 100), .gracefulShutdown, .noExport]
        try check(.communities(list), "c0 08 0c  fde90064 ffff0000 ffffff01")
        #expect(list.map(\.description) == ["65001:100", "65535:0", "65535:65281"])
        #expect(Community.gracefulShutdown.wellKnownName == "GRACEFUL_SHUTDOWN")
    }

    @Test func manyCommunitiesUseTheExtendedLength() throws {
        let list = (0..<70).map { Community(65001, UInt16($0)) }
        let bytes = try Self.encoded(.communities(list), .fourOctetIPv4)
        #expect(Array(bytes.prefix(4)) == [0xd0, 0x08, 0x01, 0x18]) // 280 bytes
        #expect(try Self.decoded(bytes, .fourOctetIPv4).communities == list)
    }

    @Test func anExtendedLengthIsAcceptedForAShortValue() throws {
        #expect(try Self.decoded(hex("50 01 0001 02"), .fourOctetIPv4).origin == .incomplete)
    }

    @Test func largeCommunities() throws {
        try check(.largeCommunities([LargeCommunity(4_200_000_001, 1, 2)]), "c0 20 0c  fa56ea01 00000001 00000002")
    }

    @Test func fourOctetPathToATwoOctetPeerTravelsAsAS4Path() throws {
        // RFC 6793 §4.2.2: AS_TRANS in AS_PATH, the real path in AS4_PATH.
        let path = ASPath.sequence([65001, 4_200_000_001])
        var bytes: [UInt8] = []
        let encoder = UpdateEncoder(options: .twoOctetIPv4)
        for attribute in encoder.prepared([.asPath(path)]) { try encoder.encode(attribute, into: &bytes) }
        #expect(spaced(bytes) == spaced(hex("40 02 06 02 02 fde9 5ba0   c0 11 0a 02 02 0000fde9 fa56ea01")))
        let update = try Self.decoded(bytes, .twoOctetIPv4)
        #expect(update.asPath == .sequence([65001, 23456]))
        #expect(update.as4Path == path)
        #expect(update.effectiveASPath == path)
        // From a 4-octet peer AS4_PATH is discarded (RFC 6793 §3).
        #expect(try Self.decoded(bytes, .fourOctetIPv4).as4Path == nil)
        // And never sent to one.
        #expect(UpdateEncoder(options: .fourOctetIPv4).prepared([.asPath(path), .as4Path(path)]) == [.asPath(path)])
    }

    @Test func as4PathMergeKeepsTheLeadingPartTheOldSpeakerAdded() {
        // RFC 6793 §4.2.3: a 2-octet speaker prepended 65010 without touching AS4_PATH.
        let asPath = ASPath.sequence([65010, 65001, 23456])
        let as4Path = ASPath.sequence([65001, 4_200_000_001])
        #expect(asPath.merging(as4Path: as4Path) == ASPath([.init(.sequence, [65010]), .init(.sequence, [65001, 4_200_000_001])]))
        #expect(asPath.merging(as4Path: as4Path).length == 3)
        // An AS4_PATH longer than the AS_PATH is ignored.
        #expect(ASPath.sequence([23456]).merging(as4Path: as4Path) == .sequence([23456]))
    }

    @Test func as4Aggregator() throws {
        try check(.as4Aggregator(Aggregator(autonomousSystem: 4_200_000_001, address: 0x0a00_0001)),
                  "c0 12 08 fa56ea01 0a000001", .twoOctetIPv4)
    }

    @Test func mpReachIPv6ByGoBGP() throws {
        // osrg/gobgp pkg/packet/bgp/bgp_test.go, Test_MpReachNLRIWithIPv6PrefixWithIPv4Peering:
        // GoBGP serializes this IPv6 route with an IPv4-mapped next hop to exactly these bytes.
        let reach = MultiprotocolReach(family: .ipv6Unicast, nextHop: IPAddress("::ffff:172.20.0.1")!,
                                       nlri: [CIDR("2001:db8:1:1::/64")!])
        try check(.mpReachNLRI(reach), """
            80 0e 1e 0002 01 10
            00000000 00000000 0000ffff ac140001
            00
            40 20010db8 00010001
            """)
    }

    @Test func mpReachWithLinkLocalNextHopByGoBGP() throws {
        // Test_MpReachNLRIWithIPv6PrefixWithLinkLocalNexthop: 32-byte next hop (RFC 2545 §3).
        let reach = MultiprotocolReach(family: .ipv6Unicast, nextHop: IPAddress("2001:db8:1::1")!,
                                       linkLocalNextHop: IPAddress("fe80::1")!, nlri: [CIDR("2010:ab8:1::/48")!])
        try check(.mpReachNLRI(reach), """
            80 0e 2c 0002 01 20
            20010db8 00010000 00000000 00000001
            fe800000 00000000 00000000 00000001
            00
            30 20100ab8 0001
            """)
    }

    @Test func mpReachIPv4WithIPv6NextHopByGoBGP() throws {
        // Test_MpReachNLRIWithIPv4PrefixWithIPv6Nexthop (RFC 8950).
        let reach = MultiprotocolReach(family: .ipv4Unicast, nextHop: IPAddress("2001:db8:1::1")!,
                                       nlri: [CIDR("192.168.10.0/24")!])
        try check(.mpReachNLRI(reach), "80 0e 19 0001 01 10 20010db8 00010000 00000000 00000001 00 18 c0a80a")
    }

    @Test func mpUnreachIPv6() throws {
        let unreach = MultiprotocolUnreach(family: .ipv6Unicast, withdrawn: [CIDR("2001:db8:53::/64")!])
        try check(.mpUnreachNLRI(unreach), "80 0f 0c 0002 01 40 20010db8 00530000")
        // GoBGP's Test_MpUnreachNLRIWithIPv6 input: the same attribute with an extended length.
        #expect(try Self.decoded(hex("90 0f 000c 0002 01 40 20010db8 00530000"), .fourOctetDualStack).mpUnreach == unreach)
    }

    @Test func endOfRIB() throws {
        let encoder = BGPMessageEncoder(options: .fourOctetDualStack)
        #expect(try encoder.encode(.update(.endOfRIB(.ipv4Unicast))) == message(.update, [0, 0, 0, 0]))
        let v6 = try encoder.encode(.update(.endOfRIB(.ipv6Unicast)))
        #expect(spaced(v6) == spaced(message(.update, hex("0000 0006 80 0f 03 0002 01"))))
        guard case .update(let decoded) = try BGPMessageDecoder(options: .fourOctetDualStack).decode(v6) else { return }
        #expect(decoded.endOfRIB == .ipv6Unicast)
    }

    @Test func unknownOptionalTransitiveIsPassedAlongWithPartialSet() throws {
        // Extended communities (16), which Moat does not interpret.
        let update = try Self.decoded(hex("c0 10 08 0002fde900000064"), .fourOctetIPv4)
        let raw = RawPathAttribute(flags: [.optional, .transitive, .partial], typeCode: 16, value: hex("0002fde900000064"))
        #expect(update.attributes == [.unknown(raw)])
        #expect(spaced(try Self.encoded(.unknown(raw), .fourOctetIPv4)) == spaced(hex("e0 10 08 0002fde900000064")))
    }

    @Test func unknownOptionalNonTransitiveIsQuietlyIgnored() throws {
        let update = try Self.decoded(hex("80 09 04 01020304"), .fourOctetIPv4)
        #expect(update.attributes.isEmpty)
        #expect(update.errors.isEmpty)
    }

    @Test func everyRowRoundTrips() throws {
        // A row added without a vector above still has to survive its own encoder.
        let samples: [PathAttribute] = [
            .origin(.egp), .asPath(.sequence([1, 2])), .nextHop(.v4(0x0a00_0001)), .multiExitDiscriminator(7),
            .atomicAggregate, .aggregator(Aggregator(autonomousSystem: 9, address: 1)), .communities([.noPeer]),
            .mpReachNLRI(MultiprotocolReach(family: .ipv6Unicast, nextHop: IPAddress("2001:db8::1")!, nlri: [])),
            .mpUnreachNLRI(MultiprotocolUnreach(family: .ipv4Unicast, withdrawn: [CIDR("10.0.0.0/8")!])),
            .largeCommunities([LargeCommunity(1, 2, 3)]),
        ]
        #expect(Set(samples.map(\.typeCode)).count == samples.count)
        for attribute in samples {
            let update = try Self.decoded(try Self.encoded(attribute, .fourOctetDualStack), .fourOctetDualStack)
            #expect(update.attributes == [attribute])
        }
        let covered = Set(samples.map(\.typeCode)).union([PathAttributeTable.localPreference, PathAttributeTable.as4Path,
                                                          PathAttributeTable.as4Aggregator])
        #expect(covered == Set(PathAttributeTable.rows.map(\.typeCode)))
    }
}
