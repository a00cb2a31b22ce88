import MoatModel
import Testing
@testable import BGP

/// The Established state, and what time does to a session, on a virtual clock.
@Suite struct EstablishedSessionTests {
    typealias Machine = SessionStateMachine
    static let configuration = SessionStateMachineTests.configuration
    static let peerOpen = SessionStateMachineTests.peerOpen
    static func t(_ from: Machine.State, _ to: Machine.State, _ reason: Machine.Reason) -> Machine.Action {
        SessionStateMachineTests.t(from, to, reason)
    }

    static func established() -> Machine { SessionStateMachineTests.machine(in: .established) }

    @Test func keepalivesAndUpdatesRestartTheHoldTimer() {
        var machine = Self.established()
        #expect(machine.keepaliveReceived() == [.startTimer(.hold, .seconds(90))])
        let update = UpdateMessage(withdrawn: [CIDR("192.0.2.0/24")!])
        #expect(machine.updateReceived(update) == [.startTimer(.hold, .seconds(90)), .deliver(update)])
    }

    @Test func routeRefreshRequests() {
        var machine = Self.established()
        #expect(machine.routeRefreshReceived(RouteRefreshMessage(family: .ipv6Unicast)) == [
            .startTimer(.hold, .seconds(90)), .resendRoutes(.ipv6Unicast),
        ])
        // RFC 2918 §4: a family that was not negotiated is ignored; so are RFC 7313 markers.
        #expect(machine.routeRefreshReceived(RouteRefreshMessage(family: AddressFamily(afi: 1, safi: 2))) == [
            .startTimer(.hold, .seconds(90)),
        ])
        #expect(machine.routeRefreshReceived(RouteRefreshMessage(family: .ipv4Unicast, subtype: 1)) == [.startTimer(.hold, .seconds(90))])
        #expect(machine.requestRouteRefresh(.ipv4Unicast) == [.send(.routeRefresh(RouteRefreshMessage(family: .ipv4Unicast)))])
    }

    @Test func noRouteRefreshRequestToAPeerWithoutTheCapability() {
        var machine = SessionStateMachine(configuration: Self.configuration)
        _ = machine.manualStart()
        _ = machine.connectionConfirmed()
        _ = machine.openReceived(OpenMessage(autonomousSystem: 65001, holdTime: 90, identifier: 2, capabilities: [.fourOctetAS(65001)]))
        _ = machine.keepaliveReceived()
        #expect(machine.state == .established)
        #expect(machine.requestRouteRefresh(.ipv4Unicast) == [])
    }

    @Test func sendingAnUpdateRestartsTheKeepaliveTimer() {
        var machine = Self.established()
        let update = UpdateMessage.endOfRIB(.ipv4Unicast)
        #expect(machine.sendUpdate(update) == [.send(.update(update)), .startTimer(.keepalive, .seconds(30))])
        var notYet = SessionStateMachineTests.machine(in: .openConfirm)
        #expect(notYet.sendUpdate(update) == [])
    }

    @Test func holdTimerExpiryTakesTheSessionDown() {
        var harness = SessionHarness(Self.configuration)
        harness.establish(peer: Self.peerOpen)
        let actions = harness.advance(by: .seconds(90))
        #expect(Array(actions.suffix(5)) == [
            Self.t(.established, .idle, .holdTimerExpired), .close(.holdTimerExpired), .stopTimer(.keepalive),
            .down(.holdTimerExpired), .startTimer(.idleHold, .seconds(5)),
        ])
    }

    @Test func notificationTakesTheSessionDown() {
        var machine = Self.established()
        let cease = NotificationMessage.cease(.administrativeShutdown, communication: "upgrade")
        #expect(machine.notificationReceived(cease) == [
            Self.t(.established, .idle, .notificationReceived(cease)), .close(nil), .stopTimer(.hold), .stopTimer(.keepalive),
            .down(.notificationReceived(cease)), .startTimer(.idleHold, .seconds(5)),
        ])
        #expect(machine.negotiated == nil)
    }

    @Test func lostConnectionTakesTheSessionDown() {
        var machine = Self.established()
        #expect(machine.connectionFailed() == [
            Self.t(.established, .idle, .connectionLost), .stopTimer(.hold), .stopTimer(.keepalive),
            .down(.connectionLost), .startTimer(.idleHold, .seconds(5)),
        ])
    }

    @Test func openInEstablishedIsAnFSMError() {
        var machine = Self.established()
        #expect(machine.openReceived(Self.peerOpen) == [
            Self.t(.established, .idle, .unexpectedMessage(.open)), .close(NotificationMessage(code: 5, subcode: 3)),
            .stopTimer(.hold), .stopTimer(.keepalive), .down(.unexpectedMessage(.open)), .startTimer(.idleHold, .seconds(5)),
        ])
    }

    @Test func malformedUpdateResetsTheSession() {
        var machine = Self.established()
        let error = BGPDecodeError(.unrecognizedWellKnownAttribute, data: [0x40, 0x63, 0x01, 0x00])
        #expect(machine.messageError(error) == [
            Self.t(.established, .idle, .messageError(.unrecognizedWellKnownAttribute)), .close(error.notification),
            .stopTimer(.hold), .stopTimer(.keepalive), .down(.messageError(.unrecognizedWellKnownAttribute)),
            .startTimer(.idleHold, .seconds(5)),
        ])
    }

    @Test func manualStopSendsTheShutdownCommunicationAndStaysDown() {
        var harness = SessionHarness(Self.configuration)
        harness.establish(peer: Self.peerOpen)
        #expect(harness.event { $0.manualStop(communication: "maintenance") } == [
            Self.t(.established, .idle, .manualStop), .close(.cease(.administrativeShutdown, communication: "maintenance")),
            .stopTimer(.hold), .stopTimer(.keepalive), .down(.manualStop),
        ])
        #expect(harness.advance(by: .seconds(3600)) == [])
    }

    @Test func aSessionStaysUpWhileThePeerTalksAndDropsNinetySecondsAfterItStops() {
        var harness = SessionHarness(Self.configuration)
        harness.establish(peer: Self.peerOpen)
        let sentBefore = harness.sent.count
        for _ in 0..<20 {
            harness.advance(by: .seconds(30))
            harness.event { $0.keepaliveReceived() }
        }
        #expect(harness.state == .established)
        #expect(harness.now == .seconds(600))
        // One keepalive every 30 s (RFC 4271 §10: a third of the hold time).
        #expect(harness.sent.count - sentBefore == 20)
        harness.advance(by: .seconds(89))
        #expect(harness.state == .established)
        harness.advance(by: .seconds(1))
        #expect(harness.state == .idle)
        #expect(harness.sent.last == .notification(.holdTimerExpired))
    }

    @Test func automaticRestartBacksOffAndAnEstablishedSessionResetsIt() {
        var harness = SessionHarness(Self.configuration)
        harness.event { $0.manualStart() }
        var waits: [Duration] = []
        for _ in 0..<7 {
            let actions = harness.event { $0.connectionFailed() }
            guard case .startTimer(.idleHold, let wait) = actions.last else { Issue.record("no restart: \(actions)"); return }
            waits.append(wait)
            #expect(harness.advance(by: wait).first == Self.t(.idle, .connect, .automaticStart))
        }
        #expect(waits == [5, 10, 20, 40, 80, 120, 120].map { Duration.seconds($0) })
        harness.event { $0.connectionConfirmed() }
        harness.event { $0.openReceived(Self.peerOpen) }
        harness.event { $0.keepaliveReceived() }
        #expect(harness.event { $0.connectionFailed() }.last == .startTimer(.idleHold, .seconds(5)))
    }

    @Test func manualStopCancelsAPendingRestart() {
        var harness = SessionHarness(Self.configuration)
        harness.event { $0.manualStart() }
        harness.event { $0.connectionFailed() }
        #expect(harness.event { $0.manualStop() } == [.stopTimer(.idleHold)])
        #expect(harness.advance(by: .seconds(3600)) == [])
        #expect(harness.event { $0.manualStart() }.first == Self.t(.idle, .connect, .manualStart))
    }

    @Test func timerEventsForTimersNotRunningAreIgnored() {
        var machine = Self.established()
        #expect(machine.connectRetryTimerExpired() == [])
        #expect(machine.idleHoldTimerExpired() == [])
        var harness = SessionHarness(Self.configuration)
        harness.establish(peer: Self.peerOpen)
        harness.event { $0.manualStop() }
        // A hold timer firing after the stop (a race in the adapter) changes nothing.
        #expect(harness.event { $0.holdTimerExpired() } == [])
    }

    @Test func everyTransitionIsNamedForTheLog() {
        var harness = SessionHarness(Self.configuration)
        harness.establish(peer: Self.peerOpen)
        harness.advance(by: .seconds(90))
        harness.advance(by: .seconds(5))
        #expect(harness.transitions.map(\.description) == [
            "idle -> connect: manual_start",
            "connect -> open_sent: connection_confirmed",
            "open_sent -> open_confirm: open_accepted",
            "open_confirm -> established: keepalive_received",
            "established -> idle: hold_timer_expired",
            "idle -> connect: automatic_start",
        ])
    }
}
