import Testing
@testable import BGP

/// Every transition of the RFC 4271 §8 machine, as the exact actions the adapter performs.
@Suite struct SessionStateMachineTests {
    typealias Machine = SessionStateMachine
    typealias Action = SessionStateMachine.Action

    static let configuration = SessionConfiguration(localAS: 65000, peerAS: 65001, identifier: 0x0a00_0001)
    static let passive = SessionConfiguration(localAS: 65000, peerAS: 65001, identifier: 0x0a00_0001, passive: true)
    static let peerOpen = OpenMessage(autonomousSystem: 65001, holdTime: 90, identifier: 0x0a00_0002, capabilities: [
        .multiprotocol(.ipv4Unicast), .multiprotocol(.ipv6Unicast), .routeRefresh, .fourOctetAS(65001),
    ])
    static let negotiated = Negotiated(peerAS: 65001, peerIdentifier: 0x0a00_0002, holdTime: 90, fourOctetAS: true,
                                       families: [.ipv4Unicast, .ipv6Unicast], routeRefresh: true,
                                       peerGracefulRestart: nil, peerIsInternal: false)

    static func t(_ from: Machine.State, _ to: Machine.State, _ reason: Machine.Reason) -> Action {
        .transition(.init(from: from, to: to, reason: reason))
    }

    static func machine(in state: Machine.State, _ configuration: SessionConfiguration = configuration) -> Machine {
        var machine = Machine(configuration: configuration)
        _ = machine.manualStart()
        if state == .connect || state == .active { return machine }
        _ = machine.connectionConfirmed()
        if state == .openSent { return machine }
        _ = machine.openReceived(peerOpen)
        if state == .openConfirm { return machine }
        _ = machine.keepaliveReceived()
        return machine
    }

    // MARK: Idle

    @Test func manualStartConnects() {
        var machine = Machine(configuration: Self.configuration)
        #expect(machine.manualStart() == [Self.t(.idle, .connect, .manualStart), .startTimer(.connectRetry, .seconds(120)), .connect])
        #expect(machine.acceptsConnection)
    }

    @Test func manualStartOfAPassivePeerListens() {
        var machine = Machine(configuration: Self.passive)
        #expect(machine.manualStart() == [Self.t(.idle, .active, .manualStart)])
        #expect(machine.acceptsConnection)
    }

    @Test func idleIgnoresEverythingButStart() {
        var machine = Machine(configuration: Self.configuration)
        #expect(machine.connectionConfirmed() == [])
        #expect(machine.connectionFailed() == [])
        #expect(machine.holdTimerExpired() == [])
        #expect(machine.keepaliveTimerExpired() == [])
        #expect(machine.connectRetryTimerExpired() == [])
        #expect(machine.idleHoldTimerExpired() == [])
        #expect(machine.received(.keepalive) == [])
        #expect(machine.received(.open(Self.peerOpen)) == [])
        #expect(machine.notificationReceived(.holdTimerExpired) == [])
        #expect(machine.messageError(BGPDecodeError(.badMessageLength)) == [])
        #expect(machine.sendUpdate(UpdateMessage()) == [])
        #expect(machine.manualStop() == [])
        #expect(machine.state == .idle)
        #expect(!machine.acceptsConnection)
    }

    // MARK: Connect

    @Test func connectionConfirmedSendsOpen() {
        var machine = Self.machine(in: .connect)
        #expect(machine.connectionConfirmed() == [
            Self.t(.connect, .openSent, .connectionConfirmed), .stopTimer(.connectRetry),
            .send(.open(Self.configuration.openMessage)), .startTimer(.hold, .seconds(240)),
        ])
        #expect(!machine.acceptsConnection)
    }

    @Test func failedConnectionGoesIdleAndSchedulesARestart() {
        var machine = Self.machine(in: .connect)
        #expect(machine.connectionFailed() == [
            Self.t(.connect, .idle, .connectionFailed), .stopTimer(.connectRetry), .startTimer(.idleHold, .seconds(5)),
        ])
    }

    @Test func connectRetryTimerRetries() {
        var harness = SessionHarness(Self.configuration)
        harness.event { $0.manualStart() }
        #expect(harness.advance(by: .seconds(119)) == [])
        #expect(harness.advance(by: .seconds(1)) == [.close(nil), .startTimer(.connectRetry, .seconds(120)), .connect])
        #expect(harness.state == .connect)
    }

    @Test func manualStopInConnectStaysDown() {
        var harness = SessionHarness(Self.configuration)
        harness.event { $0.manualStart() }
        #expect(harness.event { $0.manualStop() } == [Self.t(.connect, .idle, .manualStop), .close(nil), .stopTimer(.connectRetry)])
        #expect(harness.advance(by: .seconds(3600)) == [])
        #expect(harness.state == .idle)
    }

    // MARK: Active

    @Test func passivePeerAcceptsAConnection() {
        var machine = Self.machine(in: .active, Self.passive)
        #expect(machine.connectionConfirmed() == [
            Self.t(.active, .openSent, .connectionConfirmed), .send(.open(Self.passive.openMessage)), .startTimer(.hold, .seconds(240)),
        ])
    }

    @Test func connectionLostInOpenSentFallsBackToActiveAndRetries() {
        var harness = SessionHarness(Self.configuration)
        harness.event { $0.manualStart() }
        harness.event { $0.connectionConfirmed() }
        #expect(harness.event { $0.connectionFailed() } == [
            Self.t(.openSent, .active, .connectionLost), .stopTimer(.hold), .startTimer(.connectRetry, .seconds(120)),
        ])
        #expect(harness.advance(by: .seconds(120)) == [
            Self.t(.active, .connect, .connectRetryTimerExpired), .startTimer(.connectRetry, .seconds(120)), .connect,
        ])
    }

    @Test func passivePeerNeverConnects() {
        var harness = SessionHarness(Self.passive)
        harness.event { $0.manualStart() }
        harness.event { $0.connectionConfirmed() }
        #expect(harness.event { $0.connectionFailed() } == [Self.t(.openSent, .active, .connectionLost), .stopTimer(.hold)])
        #expect(harness.advance(by: .seconds(3600)) == [])
        #expect(harness.state == .active)
        #expect(harness.event { $0.connectionFailed() } == [Self.t(.active, .idle, .connectionFailed), .startTimer(.idleHold, .seconds(5))])
    }

    @Test func manualStopInActive() {
        var machine = Self.machine(in: .active, Self.passive)
        #expect(machine.manualStop() == [Self.t(.active, .idle, .manualStop)])
    }

    // MARK: OpenSent

    @Test func acceptedOpenSendsKeepaliveAndStartsNegotiatedTimers() {
        var machine = Self.machine(in: .openSent)
        #expect(machine.openReceived(Self.peerOpen) == [
            Self.t(.openSent, .openConfirm, .openAccepted), .send(.keepalive),
            .startTimer(.hold, .seconds(90)), .startTimer(.keepalive, .seconds(30)),
        ])
        #expect(machine.negotiated == Self.negotiated)
        #expect(machine.negotiated?.codecOptions == .fourOctetDualStack)
    }

    @Test func holdTimerExpiresWaitingForOpen() {
        var harness = SessionHarness(Self.configuration)
        harness.event { $0.manualStart() }
        harness.event { $0.connectionConfirmed() }
        #expect(harness.advance(by: .seconds(240)) == [
            Self.t(.openSent, .idle, .holdTimerExpired), .close(.holdTimerExpired), .startTimer(.idleHold, .seconds(5)),
        ])
    }

    @Test func notificationInOpenSent() {
        var machine = Self.machine(in: .openSent)
        let cease = NotificationMessage.cease(.connectionRejected)
        #expect(machine.notificationReceived(cease) == [
            Self.t(.openSent, .idle, .notificationReceived(cease)), .close(nil), .stopTimer(.hold), .startTimer(.idleHold, .seconds(5)),
        ])
    }

    @Test func unexpectedMessagesInOpenSentAreFSMErrors() {
        for message: BGPMessage in [.keepalive, .update(UpdateMessage()), .routeRefresh(RouteRefreshMessage(family: .ipv4Unicast))] {
            var machine = Self.machine(in: .openSent)
            #expect(machine.received(message) == [
                Self.t(.openSent, .idle, .unexpectedMessage(message.type)), .close(NotificationMessage(code: 5, subcode: 1)),
                .stopTimer(.hold), .startTimer(.idleHold, .seconds(5)),
            ])
        }
    }

    @Test func decodeErrorSendsItsNotification() {
        var machine = Self.machine(in: .openSent)
        #expect(machine.messageError(BGPDecodeError(.badMessageLength, .treatAsWithdraw)) == [])
        let error = BGPDecodeError(.badMessageLength, data: [0x10, 0x01])
        #expect(machine.messageError(error) == [
            Self.t(.openSent, .idle, .messageError(.badMessageLength)), .close(NotificationMessage(code: 1, subcode: 2, data: [0x10, 0x01])),
            .stopTimer(.hold), .startTimer(.idleHold, .seconds(5)),
        ])
    }

    @Test func manualStopInOpenSentSendsCease() {
        var machine = Self.machine(in: .openSent)
        #expect(machine.manualStop() == [Self.t(.openSent, .idle, .manualStop), .close(.cease(.administrativeShutdown)), .stopTimer(.hold)])
    }

    // MARK: OpenConfirm

    @Test func keepaliveEstablishes() {
        var machine = Self.machine(in: .openConfirm)
        #expect(machine.keepaliveReceived() == [
            Self.t(.openConfirm, .established, .keepaliveReceived), .startTimer(.hold, .seconds(90)), .established(Self.negotiated),
        ])
    }

    @Test func openConfirmSendsKeepalivesAndTimesOut() {
        var harness = SessionHarness(Self.configuration)
        harness.event { $0.manualStart() }
        harness.event { $0.connectionConfirmed() }
        harness.event { $0.openReceived(Self.peerOpen) }
        #expect(harness.advance(by: .seconds(30)) == [.send(.keepalive), .startTimer(.keepalive, .seconds(30))])
        let actions = harness.advance(by: .seconds(60))
        #expect(Array(actions.suffix(4)) == [
            Self.t(.openConfirm, .idle, .holdTimerExpired), .close(.holdTimerExpired), .stopTimer(.keepalive),
            .startTimer(.idleHold, .seconds(5)),
        ])
        #expect(harness.now == .seconds(90))
    }

    @Test func openConfirmErrors() {
        var machine = Self.machine(in: .openConfirm)
        #expect(machine.received(.open(Self.peerOpen)).prefix(2) == [
            Self.t(.openConfirm, .idle, .unexpectedMessage(.open)), .close(NotificationMessage(code: 5, subcode: 2)),
        ])
        machine = Self.machine(in: .openConfirm)
        #expect(machine.received(.update(UpdateMessage())).prefix(2) == [
            Self.t(.openConfirm, .idle, .unexpectedMessage(.update)), .close(NotificationMessage(code: 5, subcode: 2)),
        ])
        machine = Self.machine(in: .openConfirm)
        #expect(machine.notificationReceived(.holdTimerExpired).first == Self.t(.openConfirm, .idle, .notificationReceived(.holdTimerExpired)))
        machine = Self.machine(in: .openConfirm)
        #expect(machine.connectionFailed() == [
            Self.t(.openConfirm, .idle, .connectionLost), .stopTimer(.hold), .stopTimer(.keepalive), .startTimer(.idleHold, .seconds(5)),
        ])
        machine = Self.machine(in: .openConfirm)
        #expect(machine.manualStop() == [
            Self.t(.openConfirm, .idle, .manualStop), .close(.cease(.administrativeShutdown)), .stopTimer(.hold), .stopTimer(.keepalive),
        ])
    }
}
