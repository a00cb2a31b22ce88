import MoatModel
import Testing
@testable import BGP

/// Golden vectors for every message type, written by hand from the figures of RFC 4271 §4,
/// RFC 5492, RFC 4760, RFC 6793, RFC 4724, RFC 2918 and RFC 9003.
@Suite struct MessageCodecTests {
    let decoder = BGPMessageDecoder()
    let encoder = BGPMessageEncoder()

    func roundTrip(_ value: BGPMessage, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(spaced(try encoder.encode(value)) == spaced(bytes), sourceLocation: sourceLocation)
        #expect(try decoder.decode(bytes) == value, sourceLocation: sourceLocation)
    }

    @Test func keepalive() throws {
        try roundTrip(.keepalive, hex("ffffffff ffffffff ffffffff ffffffff 0013 04"))
    }

    @Test func openWithCapabilities() throws {
        let open = OpenMessage(autonomousSystem: 65001, holdTime: 90, identifier: 0xc000_0201, capabilities: [
            .multiprotocol(.ipv4Unicast), .multiprotocol(.ipv6Unicast), .routeRefresh, .fourOctetAS(65001),
        ])
        try roundTrip(.open(open), hex("""
            ffffffff ffffffff ffffffff ffffffff 0033 01
            04                      # version
            fde9                    # My AS 65001
            005a                    # hold time 90
            c0000201                # BGP identifier 192.0.2.1
            16                      # optional parameters length 22
            02 14                   # Capabilities parameter, 20 bytes
            01 04 0001 00 01        # multiprotocol IPv4 unicast
            01 04 0002 00 01        # multiprotocol IPv6 unicast
            02 00                   # route refresh
            41 04 0000fde9          # 4-octet AS 65001
            """))
    }

    @Test func openOfFourOctetASCarriesASTrans() throws {
        let open = OpenMessage(autonomousSystem: 4_200_000_001, holdTime: 0, identifier: 1, capabilities: [.fourOctetAS(4_200_000_001)])
        #expect(open.myAutonomousSystem == 23456)
        #expect(open.autonomousSystem == 4_200_000_001)
        try roundTrip(.open(open), hex("""
            ffffffff ffffffff ffffffff ffffffff 0025 01
            04 5ba0 0000 00000001   # version, AS_TRANS, hold 0, identifier
            08 02 06 41 04 fa56ea01 # 4-octet AS 4200000001
            """))
    }

    @Test func openWithGracefulRestartAndUnknownCapability() throws {
        let restart = GracefulRestartCapability(restarting: true, restartTime: 120, families: [
            .init(.ipv4Unicast, forwardingStatePreserved: true), .init(.ipv6Unicast),
        ])
        let open = OpenMessage(autonomousSystem: 65001, holdTime: 3, identifier: 2, capabilities: [
            .gracefulRestart(restart), .unknown(code: 73, value: [1, 0x61, 0]),
        ])
        try roundTrip(.open(open), hex("""
            ffffffff ffffffff ffffffff ffffffff 0030 01
            04 fde9 0003 00000002
            13 02 11                # one parameter of 17 bytes
            40 0a 8078              # graceful restart: R bit, 120 s
            0001 01 80              # IPv4 unicast, forwarding state preserved
            0002 01 00              # IPv6 unicast
            49 03 016100            # FQDN (73), kept raw
            """))
        #expect(open.gracefulRestart?.restartTime == 120)
    }

    @Test func openWithExtendedOptionalParametersLength() throws {
        // RFC 9072 §2: length 255, type 255, then a 2-octet length and 2-octet parameter lengths.
        let bytes = message(.open, hex("04 fde9 005a 00000001 ff ff 0009 02 0006 41 04 0000fde9"))
        #expect(try decoder.decode(bytes) == .open(OpenMessage(myAutonomousSystem: 65001, holdTime: 90, identifier: 1,
                                                               capabilities: [.fourOctetAS(65001)])))
    }

    @Test func notifications() throws {
        try roundTrip(.notification(.holdTimerExpired), hex("ffffffff ffffffff ffffffff ffffffff 0015 03 04 00"))
        // RFC 9003: Cease / Administrative Shutdown with a shutdown communication.
        let cease = NotificationMessage.cease(.administrativeShutdown, communication: "bye")
        try roundTrip(.notification(cease), hex("ffffffff ffffffff ffffffff ffffffff 0019 03 06 02 03 627965"))
        #expect(cease.shutdownCommunication == "bye")
        #expect(cease.name == "cease/administrative_shutdown")
        #expect(NotificationMessage(code: 2, subcode: 6).description == "2/6 open_message_error/unacceptable_hold_time")
    }

    @Test func shutdownCommunicationIsCutOnACharacterBoundary() {
        let long = String(repeating: "é", count: 200) // 400 bytes of UTF-8
        let cease = NotificationMessage.cease(.administrativeReset, communication: long)
        #expect(cease.data.first == 254)
        #expect(cease.shutdownCommunication == String(repeating: "é", count: 127))
    }

    @Test func routeRefresh() throws {
        try roundTrip(.routeRefresh(RouteRefreshMessage(family: .ipv6Unicast)),
                      hex("ffffffff ffffffff ffffffff ffffffff 0017 05 0002 00 01"))
    }

    @Test func headerErrors() {
        func code(_ bytes: [UInt8]) -> BGPDecodeError? {
            do { _ = try decoder.decode(bytes); return nil } catch { return error }
        }
        var bad = hex("ffffffff ffffffff ffffffff fffffffe 0013 04")
        #expect(code(bad)?.code == .connectionNotSynchronized)
        bad = header(18, 4)
        #expect(code(bad)?.code == .badMessageLength)
        // RFC 4271 §6.1: the data is the erroneous length field.
        bad = header(20, 4) + [0]
        #expect(code(bad)?.code == .badMessageLength)
        #expect(code(bad)?.data == [0x00, 0x14])
        bad = header(4097, 2)
        #expect(code(bad)?.data == [0x10, 0x01])
        bad = header(19, 9)
        #expect(code(bad)?.code == .badMessageType)
        #expect(code(bad)?.data == [9])
        #expect(code(header(22, 2) + [0, 0, 0])?.code == .badMessageLength) // UPDATE shorter than 23
        #expect(code(header(20, 3) + [6])?.code == .badMessageLength) // NOTIFICATION shorter than 21
        let refresh = header(24, 5) + [0, 1, 0, 1, 0]
        #expect(code(refresh)?.code == .invalidRouteRefreshLength)
        #expect(code(refresh)?.data == refresh) // RFC 7313 §5: the whole message
    }

    @Test func framing() throws {
        let keepalive = hex("ffffffff ffffffff ffffffff ffffffff 0013 04")
        #expect(try BGPMessageDecoder.frameLength(of: keepalive.prefix(18)) == nil)
        #expect(try BGPMessageDecoder.frameLength(of: keepalive + keepalive) == 19)
        #expect(throws: BGPDecodeError.self) { try BGPMessageDecoder.frameLength(of: header(5000, 2)) }
    }

    @Test func openErrors() {
        func error(_ body: String) -> BGPDecodeError? {
            do { _ = try decoder.decode(message(.open, hex(body))); return nil } catch { return error }
        }
        // RFC 4271 §6.2: the data is the largest version supported.
        #expect(error("03 fde9 005a 00000001 00")?.code == .unsupportedVersionNumber)
        #expect(error("03 fde9 005a 00000001 00")?.data == [0, 4])
        #expect(error("04 fde9 005a 00000001 02 02")?.code == .badMessageLength)
        #expect(error("04 fde9 005a 00000001 04 01 02 0000")?.code == .unsupportedOptionalParameter)
        #expect(error("04 fde9 005a 00000001 04 02 02 41 04")?.code == .malformedOpen) // capability overruns
        #expect(error("04 fde9 005a 00000001 05 02 03 41 01 00")?.code == .malformedOpen) // 4-octet AS of 1 byte
        #expect(error("04 fde9 005a 00000001 05 02 03 40 01 00")?.code == .malformedOpen) // graceful restart of 1 byte
    }

    @Test func encodeRefusesWhatTheFormatCannotCarry() {
        let many = (0..<300).map { _ in Capability.routeRefresh }
        let open = OpenMessage(autonomousSystem: 1, holdTime: 90, identifier: 1, capabilities: many)
        #expect(throws: BGPEncodeError.self) { try encoder.encode(.open(open)) }
        let prefixes = (0..<1200).map { try! CIDR(address: .v4(UInt32($0) << 8), length: 24) }
        #expect(throws: BGPEncodeError.self) { try encoder.encode(.update(UpdateMessage(withdrawn: prefixes))) }
        let v6 = UpdateMessage(nlri: [CIDR("2001:db8::/32")!])
        #expect(throws: BGPEncodeError.self) { try encoder.encode(.update(v6)) }
    }
}
