import MoatModel
import Testing
@testable import BGP

/// Messages captured from real speakers, byte for byte, with `scripts/bgp-capture/run.sh`:
/// BIRD 2.0.12 and GoBGP 3.10.0 (Debian bookworm packages), each as AS 4200000001 with
/// router id 192.0.2.1, sending to a listener that answered as AS 65001. BIRD exported
/// 198.51.100.0/24 and 203.0.113.0/25 (MED 50, communities 65535:0 and 4200000001:1:2) and
/// 2001:db8:100::/48 (community 65001:100); GoBGP the same /24 and /48.
@Suite struct PeerCaptureTests {
    static let options = BGPCodecOptions.fourOctetDualStack
    static let decoder = BGPMessageDecoder(options: options)
    static let encoder = BGPMessageEncoder(options: options)
    static let path = ASPath.sequence([4_200_000_001])

    static let birdOpen = hex("""
        ffffffffffffffffffffffffffffffff 0043 01 04 5ba0 005a c0000201 26 02 24
        01 04 0001 00 01   01 04 0002 00 01   02 00   40 0a 0078 0001 01 00 0002 01 00
        41 04 fa56ea01   46 00   47 00
        """)
    static let birdIPv4 = hex("""
        ffffffffffffffffffffffffffffffff 0051 02 0000 0031
        40 01 01 00   40 02 06 0201fa56ea01   40 03 04 7f000001   80 04 04 00000032
        c0 08 04 ffff0000   c0 20 0c fa56ea01 00000001 00000002
        18 c63364   19 cb007100
        """)
    static let birdIPv4EndOfRIB = hex("ffffffffffffffffffffffffffffffff 0017 02 0000 0000")
    static let birdIPv6 = hex("""
        ffffffffffffffffffffffffffffffff 004b 02 0000 0034
        90 0e 001c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80100
        40 01 01 00   40 02 06 0201fa56ea01   c0 08 04 fde90064
        """)
    static let birdIPv6EndOfRIB = hex("ffffffffffffffffffffffffffffffff 001d 02 0000 0006 80 0f 03 000201")
    static let goBGPOpen = hex("""
        ffffffffffffffffffffffffffffffff 0041 01 04 5ba0 005a c0000201 24 02 22
        02 00   49 04 02766d00   01 04 0001 00 01   01 04 0002 00 01   41 04 fa56ea01   05 06 0001 0001 0002
        """)
    static let goBGPIPv4 = hex("""
        ffffffffffffffffffffffffffffffff 004c 02 0000 0031
        40 01 01 02   40 02 06 0201fa56ea01   40 03 04 c0000201   80 04 04 00000032
        c0 08 04 ffff0000   c0 20 0c fa56ea01 00000001 00000002
        18 c63364
        """)
    static let goBGPIPv6 = hex("""
        ffffffffffffffffffffffffffffffff 004a 02 0000 0033
        40 01 01 02   40 02 06 0201fa56ea01   c0 08 04 fde90064
        80 0e 1c 0002 01 10 20010db8000000000000000000000001 00 30 20010db80100
        """)

    static func update(_ bytes: [UInt8]) throws -> UpdateMessage {
        guard case .update(let update) = try decoder.decode(bytes) else { throw BGPEncodeError(.messageTooLong, "not an UPDATE") }
        return update
    }

    @Test func birdOpenDecodesAndOurEncoderWritesTheSameBytes() throws {
        let open = OpenMessage(autonomousSystem: 4_200_000_001, holdTime: 90, identifier: 0xc000_0201, capabilities: [
            .multiprotocol(.ipv4Unicast), .multiprotocol(.ipv6Unicast), .routeRefresh,
            .gracefulRestart(GracefulRestartCapability(restartTime: 120, families: [.init(.ipv4Unicast), .init(.ipv6Unicast)])),
            .fourOctetAS(4_200_000_001), .unknown(code: 70, value: []), .unknown(code: 71, value: []),
        ])
        #expect(try Self.decoder.decode(Self.birdOpen) == .open(open))
        #expect(spaced(try Self.encoder.encode(.open(open))) == spaced(Self.birdOpen))
    }

    @Test func birdIPv4UpdateDecodesAndOurEncoderWritesTheSameBytes() throws {
        let update = UpdateMessage(attributes: [
            .origin(.igp), .asPath(Self.path), .nextHop(IPAddress("127.0.0.1")!), .multiExitDiscriminator(50),
            .communities([.gracefulShutdown]), .largeCommunities([LargeCommunity(4_200_000_001, 1, 2)]),
        ], nlri: [CIDR("198.51.100.0/24")!, CIDR("203.0.113.0/25")!])
        #expect(try Self.update(Self.birdIPv4) == update)
        #expect(spaced(try Self.encoder.encode(.update(update))) == spaced(Self.birdIPv4))
    }

    @Test func birdEndOfRIBMarkers() throws {
        #expect(try Self.update(Self.birdIPv4EndOfRIB).endOfRIB == .ipv4Unicast)
        #expect(try Self.update(Self.birdIPv6EndOfRIB).endOfRIB == .ipv6Unicast)
        #expect(try Self.encoder.encode(.update(.endOfRIB(.ipv4Unicast))) == Self.birdIPv4EndOfRIB)
        #expect(try Self.encoder.encode(.update(.endOfRIB(.ipv6Unicast))) == Self.birdIPv6EndOfRIB)
    }

    static let ipv6Reach = MultiprotocolReach(family: .ipv6Unicast, nextHop: IPAddress("2001:db8::1")!,
                                              nlri: [CIDR("2001:db8:100::/48")!])

    @Test func birdIPv6UpdateDiffersOnlyInTheExtendedLengthBit() throws {
        let update = UpdateMessage(attributes: [
            .mpReachNLRI(Self.ipv6Reach), .origin(.igp), .asPath(Self.path), .communities([Community(65001, 100)]),
        ])
        #expect(try Self.update(Self.birdIPv6) == update)
        // BIRD sets Extended Length on MP_REACH_NLRI even for 28 bytes; Moat uses the
        // 1-octet length whenever the value fits, as RFC 4271 §4.3 allows either.
        let ours = try Self.encoder.encode(.update(update))
        let birdWithShortLength = Array(Self.birdIPv6[0..<17]) + [0x4a] + Array(Self.birdIPv6[18..<22]) + [0x33]
            + [0x80, 0x0e, 0x1c] + Array(Self.birdIPv6[27...])
        #expect(spaced(ours) == spaced(birdWithShortLength))
    }

    @Test func goBGPOpenDecodesAndOurEncoderWritesTheSameBytes() throws {
        let open = OpenMessage(autonomousSystem: 4_200_000_001, holdTime: 90, identifier: 0xc000_0201, capabilities: [
            .routeRefresh, .unknown(code: 73, value: hex("02766d00")), .multiprotocol(.ipv4Unicast), .multiprotocol(.ipv6Unicast),
            .fourOctetAS(4_200_000_001), .unknown(code: 5, value: hex("000100010002")),
        ])
        #expect(try Self.decoder.decode(Self.goBGPOpen) == .open(open))
        #expect(spaced(try Self.encoder.encode(.open(open))) == spaced(Self.goBGPOpen))
    }

    @Test func goBGPIPv4UpdateDecodesAndOurEncoderWritesTheSameBytes() throws {
        let update = UpdateMessage(attributes: [
            .origin(.incomplete), .asPath(Self.path), .nextHop(IPAddress("192.0.2.1")!), .multiExitDiscriminator(50),
            .communities([.gracefulShutdown]), .largeCommunities([LargeCommunity(4_200_000_001, 1, 2)]),
        ], nlri: [CIDR("198.51.100.0/24")!])
        #expect(try Self.update(Self.goBGPIPv4) == update)
        #expect(spaced(try Self.encoder.encode(.update(update))) == spaced(Self.goBGPIPv4))
    }

    @Test func goBGPIPv6UpdateHasMPReachLastWhichMoatWritesFirst() throws {
        let update = try Self.update(Self.goBGPIPv6)
        #expect(update.attributes == [.origin(.incomplete), .asPath(Self.path), .communities([Community(65001, 100)]),
                                      .mpReachNLRI(Self.ipv6Reach)])
        #expect(update.errors.isEmpty)
        #expect(update.announced == [CIDR("2001:db8:100::/48")!])
        // RFC 7606 §5.1: Moat writes MP_REACH_NLRI first; the same attributes, reordered.
        let ours = try Self.encoder.encode(.update(update))
        #expect(spaced(ours) == spaced(Array(Self.goBGPIPv6[0..<23]) + Array(Self.goBGPIPv6[43...]) + Array(Self.goBGPIPv6[23..<43])))
    }

    @Test func birdOpenNegotiatesWithOurSession() {
        var machine = SessionStateMachine(configuration: SessionConfiguration(localAS: 65001, peerAS: 4_200_000_001,
                                                                              identifier: 0x0a00_0002))
        _ = machine.manualStart()
        _ = machine.connectionConfirmed()
        guard case .open(let open)? = try? Self.decoder.decode(Self.birdOpen) else { Issue.record(); return }
        #expect(machine.openReceived(open).first == .transition(.init(from: .openSent, to: .openConfirm, reason: .openAccepted)))
        #expect(machine.negotiated == Negotiated(
            peerAS: 4_200_000_001, peerIdentifier: 0xc000_0201, holdTime: 90, fourOctetAS: true,
            families: [.ipv4Unicast, .ipv6Unicast], routeRefresh: true,
            peerGracefulRestart: GracefulRestartCapability(restartTime: 120, families: [.init(.ipv4Unicast), .init(.ipv6Unicast)]),
            peerIsInternal: false))
    }
}
