import Testing
@testable import BGP

/// The checks of a received OPEN (RFC 4271 §6.2, RFC 6793, RFC 6286, RFC 5492) and the
/// hold time negotiation, through the state machine in OpenSent.
@Suite struct OpenNegotiationTests {
    typealias Action = SessionStateMachine.Action

    @Test func holdTimeIsTheSmallerOfBoth() {
        var peer = SessionStateMachineTests.peerOpen
        peer.holdTime = 30
        var machine = SessionStateMachineTests.machine(in: .openSent)
        #expect(machine.openReceived(peer).contains(.startTimer(.keepalive, .seconds(10))))
        #expect(machine.negotiated?.holdTime == 30)
        peer.holdTime = 10
        var ours = SessionStateMachineTests.configuration
        ours.holdTime = 9
        machine = SessionStateMachineTests.machine(in: .openSent, ours)
        #expect(machine.openReceived(peer).contains(.startTimer(.keepalive, .seconds(3))))
    }

    @Test func zeroHoldTimeMeansNoKeepalives() {
        var peer = SessionStateMachineTests.peerOpen
        peer.holdTime = 0
        var machine = SessionStateMachineTests.machine(in: .openSent)
        #expect(machine.openReceived(peer) == [SessionStateMachineTests.t(.openSent, .openConfirm, .openAccepted), .send(.keepalive), .stopTimer(.hold)])
        #expect(machine.negotiated?.keepaliveInterval == nil)
        #expect(machine.keepaliveReceived() == [SessionStateMachineTests.t(.openConfirm, .established, .keepaliveReceived),
                                                .established(machine.negotiated!)])
    }

    static func rejected(_ open: OpenMessage,
                         _ configuration: SessionConfiguration = SessionStateMachineTests.configuration) -> [Action] {
        var machine = SessionStateMachineTests.machine(in: .openSent, configuration)
        return machine.openReceived(open)
    }

    static func rejection(_ code: BGPDecodeError.Code, data: [UInt8] = []) -> [Action] {
        [SessionStateMachineTests.t(.openSent, .idle, .openRejected(code)), .close(NotificationMessage(code: code.errorCode, subcode: code.subcode, data: data)),
         .stopTimer(.hold), .startTimer(.idleHold, .seconds(5))]
    }

    @Test func holdTimesOfOneOrTwoSecondsAreRefused() {
        for hold: UInt16 in [1, 2] {
            var open = SessionStateMachineTests.peerOpen
            open.holdTime = hold
            #expect(Self.rejected(open) == Self.rejection(.unacceptableHoldTime))
        }
    }

    @Test func wrongPeerASIsRefused() {
        var open = SessionStateMachineTests.peerOpen
        open.myAutonomousSystem = 65002
        open.capabilities = [.fourOctetAS(65002)]
        #expect(Self.rejected(open) == Self.rejection(.badPeerAS, data: [0xfd, 0xea]))
        // My AS and the 4-octet capability disagree.
        open.capabilities = [.fourOctetAS(65001)]
        #expect(Self.rejected(open) == Self.rejection(.badPeerAS, data: [0xfd, 0xea]))
    }

    @Test func fourOctetPeerAS() {
        var configuration = SessionStateMachineTests.configuration
        configuration.peerAS = 4_200_000_001
        let open = OpenMessage(autonomousSystem: 4_200_000_001, holdTime: 90, identifier: 2, capabilities: [.fourOctetAS(4_200_000_001)])
        var machine = SessionStateMachineTests.machine(in: .openSent, configuration)
        #expect(machine.openReceived(open).first == SessionStateMachineTests.t(.openSent, .openConfirm, .openAccepted))
        #expect(machine.negotiated?.families == [.ipv4Unicast])
        // AS_TRANS without the capability is AS 23456, not the peer.
        let old = OpenMessage(myAutonomousSystem: 23456, holdTime: 90, identifier: 2, capabilities: [])
        #expect(Self.rejected(old, configuration) == Self.rejection(.badPeerAS, data: [0x5b, 0xa0]))
    }

    @Test func badBGPIdentifiers() {
        var open = SessionStateMachineTests.peerOpen
        open.identifier = 0
        #expect(Self.rejected(open) == Self.rejection(.badBGPIdentifier))
        // RFC 6286 §2.2: our own identifier is refused from an internal peer only.
        open.identifier = SessionStateMachineTests.configuration.identifier
        #expect(Self.rejected(open).first == SessionStateMachineTests.t(.openSent, .openConfirm, .openAccepted))
        var ibgp = SessionStateMachineTests.configuration
        ibgp.peerAS = 65000
        open.myAutonomousSystem = 65000
        open.capabilities = [.fourOctetAS(65000)]
        #expect(Self.rejected(open, ibgp) == Self.rejection(.badBGPIdentifier))
    }

    @Test func noCommonFamilyIsAnUnsupportedCapability() {
        var ours = SessionStateMachineTests.configuration
        ours.families = [.ipv6Unicast]
        let open = OpenMessage(autonomousSystem: 65001, holdTime: 90, identifier: 2, capabilities: [.fourOctetAS(65001)])
        #expect(Self.rejected(open, ours) == Self.rejection(.unsupportedCapability, data: [1, 4, 0, 2, 0, 1]))
    }
}
