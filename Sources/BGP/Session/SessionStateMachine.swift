/// The BGP session finite state machine of RFC 4271 §8, for one peer.
///
/// Pure: each event is a `mutating func` that returns the actions the adapter performs
/// (connect, send, close, start or stop a timer). The machine owns no socket and no clock:
/// the adapter runs the timers it asks for and reports their expiry as events, so tests
/// drive time by hand.
///
/// Simplifications, on purpose:
/// - One connection per peer. The adapter hands the machine a connection only while
///   `acceptsConnection` is true (Connect or Active) and refuses any other with Cease /
///   Connection Rejected (RFC 4486 6/5). RFC 4271 §6.8 collision detection, which keeps two
///   connections until both OPENs are in, is not done; if both speakers connect at once and
///   each refuses the other's connection, both retry after the connect-retry time, which
///   the adapter jitters (RFC 4271 §10, 75–100 %). Configure one side passive to avoid the
///   race entirely.
/// - No DelayOpen and no SendNOTIFICATIONwithoutOPEN (RFC 4271 optional attributes).
/// - After an error the machine waits in Idle for the idle hold time, doubled for each
///   failure in a row (RFC 4271 §8.1.1 DampPeerOscillations), then restarts by itself
///   until `manualStop`. Message events in Idle, Connect and Active, where no connection
///   exists, are ignored.
package struct SessionStateMachine: Sendable {
    package let configuration: SessionConfiguration
    package private(set) var state: State = .idle
    /// Set from the peer's OPEN until the session goes back to Idle.
    package private(set) var negotiated: Negotiated?
    private var runningTimers: Set<TimerKind> = []
    private var failuresInARow = 0
    /// True between `manualStart` and `manualStop`: errors lead to an automatic restart.
    private var started = false

    package init(configuration: SessionConfiguration) {
        self.configuration = configuration
    }

    /// Whether a new TCP connection (outgoing completed, or incoming) may be handed to the
    /// machine with `connectionConfirmed()`; otherwise the adapter refuses it.
    package var acceptsConnection: Bool { state == .connect || state == .active }

    // MARK: Administrative events (RFC 4271 Events 1, 2, 3)

    package mutating func manualStart() -> [Action] {
        guard state == .idle else { return [] }
        started = true
        failuresInARow = 0
        return stopTimers([.idleHold]) + start(.manualStart)
    }

    /// Shuts the session down and keeps it down. `communication` is sent to the peer with the
    /// Cease (RFC 9003).
    package mutating func manualStop(communication: String? = nil) -> [Action] {
        started = false
        switch state {
        case .idle:
            return stopTimers([.idleHold])
        case .connect, .active:
            return enterIdle(.manualStop, notification: nil)
        case .openSent, .openConfirm, .established:
            return enterIdle(.manualStop, notification: .cease(.administrativeShutdown, communication: communication))
        }
    }

    /// Stops because the speaker restarts: closes the connection without a NOTIFICATION, so a
    /// peer that negotiated graceful restart keeps our routes while we are away (RFC 4724 §4.2).
    package mutating func restartStop() -> [Action] {
        started = false
        switch state {
        case .idle:
            return stopTimers([.idleHold])
        case .connect, .active, .openSent, .openConfirm, .established:
            return enterIdle(.manualStop, notification: nil)
        }
    }

    // MARK: TCP events (RFC 4271 Events 16, 17, 18)

    /// A TCP connection to the peer is up, whichever side opened it.
    package mutating func connectionConfirmed() -> [Action] {
        guard acceptsConnection else { return [] }
        return [.transition(move(to: .openSent, .connectionConfirmed))]
            + stopTimers([.connectRetry])
            + [.send(.open(configuration.openMessage))]
            + startTimer(.hold, configuration.openHoldTime)
    }

    /// The TCP connection attempt failed, or the connection closed.
    package mutating func connectionFailed() -> [Action] {
        switch state {
        case .idle:
            return []
        case .connect, .active:
            return enterIdle(.connectionFailed, notification: nil, connectionGone: true)
        case .openSent:
            // RFC 4271 §8.2.2: back to Active, to listen and, unless passive, retry later.
            var actions: [Action] = [.transition(move(to: .active, .connectionLost))] + stopTimers([.hold])
            if !configuration.passive { actions += startTimer(.connectRetry, configuration.connectRetryTime) }
            return actions
        case .openConfirm, .established:
            return enterIdle(.connectionLost, notification: nil, connectionGone: true)
        }
    }

    // MARK: Timer events (RFC 4271 Events 9, 10, 11, 13)

    package mutating func timerExpired(_ kind: TimerKind) -> [Action] {
        switch kind {
        case .connectRetry: return connectRetryTimerExpired()
        case .hold: return holdTimerExpired()
        case .keepalive: return keepaliveTimerExpired()
        case .idleHold: return idleHoldTimerExpired()
        }
    }

    package mutating func connectRetryTimerExpired() -> [Action] {
        guard runningTimers.remove(.connectRetry) != nil, !configuration.passive else { return [] }
        switch state {
        case .connect:
            // Abandon the attempt and try again.
            return [.close(nil)] + startTimer(.connectRetry, configuration.connectRetryTime) + [.connect]
        case .active:
            return [.transition(move(to: .connect, .connectRetryTimerExpired))]
                + startTimer(.connectRetry, configuration.connectRetryTime) + [.connect]
        default:
            return []
        }
    }

    package mutating func holdTimerExpired() -> [Action] {
        guard runningTimers.remove(.hold) != nil, hasConnection else { return [] }
        return enterIdle(.holdTimerExpired, notification: .holdTimerExpired)
    }

    package mutating func keepaliveTimerExpired() -> [Action] {
        guard runningTimers.remove(.keepalive) != nil, state == .openConfirm || state == .established,
              let interval = negotiated?.keepaliveInterval
        else { return [] }
        return [.send(.keepalive)] + startTimer(.keepalive, interval)
    }

    package mutating func idleHoldTimerExpired() -> [Action] {
        guard runningTimers.remove(.idleHold) != nil, state == .idle, started else { return [] }
        return start(.automaticStart)
    }

    // MARK: Message events (RFC 4271 Events 19–28)

    package mutating func received(_ message: BGPMessage) -> [Action] {
        switch message {
        case .open(let open): return openReceived(open)
        case .update(let update): return updateReceived(update)
        case .notification(let notification): return notificationReceived(notification)
        case .keepalive: return keepaliveReceived()
        case .routeRefresh(let refresh): return routeRefreshReceived(refresh)
        }
    }

    package mutating func openReceived(_ open: OpenMessage) -> [Action] {
        guard state == .openSent else { return unexpected(.open) }
        switch OpenNegotiation.negotiate(configuration, received: open) {
        case .failure(let error):
            return enterIdle(.openRejected(error.code), notification: error.notification)
        case .success(let agreed):
            negotiated = agreed
            var actions: [Action] = [.transition(move(to: .openConfirm, .openAccepted)), .send(.keepalive)]
            if let hold = agreed.holdDuration, let interval = agreed.keepaliveInterval {
                actions += startTimer(.hold, hold) + startTimer(.keepalive, interval)
            } else {
                actions += stopTimers([.hold])
            }
            return actions
        }
    }

    package mutating func keepaliveReceived() -> [Action] {
        switch state {
        case .openConfirm:
            guard let agreed = negotiated else { return [] }
            failuresInARow = 0
            return [.transition(move(to: .established, .keepaliveReceived))] + restartHoldTimer() + [.established(agreed)]
        case .established:
            return restartHoldTimer()
        default:
            return unexpected(.keepalive)
        }
    }

    package mutating func updateReceived(_ update: UpdateMessage) -> [Action] {
        guard state == .established else { return unexpected(.update) }
        return restartHoldTimer() + [.deliver(update)]
    }

    /// RFC 2918 §4: a request for a family not negotiated, or when we did not announce
    /// the capability, is ignored; so are RFC 7313 refresh markers (subtypes 1 and 2).
    package mutating func routeRefreshReceived(_ refresh: RouteRefreshMessage) -> [Action] {
        guard state == .established else { return unexpected(.routeRefresh) }
        var actions = restartHoldTimer()
        if configuration.routeRefresh, refresh.subtype == 0, negotiated?.families.contains(refresh.family) == true {
            actions.append(.resendRoutes(refresh.family))
        }
        return actions
    }

    package mutating func notificationReceived(_ notification: NotificationMessage) -> [Action] {
        guard hasConnection else { return [] }
        return enterIdle(.notificationReceived(notification), notification: nil)
    }

    /// A message that failed to decode with a session reset (the decoder's thrown error):
    /// its NOTIFICATION is sent and the session closes.
    package mutating func messageError(_ error: BGPDecodeError) -> [Action] {
        guard hasConnection, error.action == .sessionReset else { return [] }
        return enterIdle(.messageError(error.code), notification: error.notification)
    }

    // MARK: Sending

    /// Sends an UPDATE on an established session; sending restarts the keepalive timer
    /// (RFC 4271 §4.4). Nothing is sent in any other state.
    package mutating func sendUpdate(_ update: UpdateMessage) -> [Action] {
        guard state == .established else { return [] }
        var actions: [Action] = [.send(.update(update))]
        if let interval = negotiated?.keepaliveInterval { actions += startTimer(.keepalive, interval) }
        return actions
    }

    /// Asks the peer to resend its routes of `family`, when both sides support route refresh.
    package mutating func requestRouteRefresh(_ family: AddressFamily) -> [Action] {
        guard state == .established, let agreed = negotiated, agreed.routeRefresh, agreed.families.contains(family) else {
            return []
        }
        return [.send(.routeRefresh(RouteRefreshMessage(family: family)))]
    }

    // MARK: Named transitions

    private var hasConnection: Bool { state == .openSent || state == .openConfirm || state == .established }

    /// Idle → Connect (or Active for a passive peer).
    private mutating func start(_ reason: Reason) -> [Action] {
        if configuration.passive { return [.transition(move(to: .active, reason))] }
        return [.transition(move(to: .connect, reason))] + startTimer(.connectRetry, configuration.connectRetryTime) + [.connect]
    }

    /// A message the state does not allow: RFC 6608 FSM error. Ignored without a connection.
    private mutating func unexpected(_ type: MessageType) -> [Action] {
        guard hasConnection else { return [] }
        return enterIdle(.unexpectedMessage(type), notification: .finiteStateMachineError(receivedIn: state))
    }

    /// Every way down goes through here, as BIRD's `bgp_conn_enter_idle_state`: close the
    /// connection (with the NOTIFICATION, if any), stop the timers, report an established
    /// session as down, and schedule the automatic restart unless stopped by hand.
    private mutating func enterIdle(_ reason: Reason, notification: NotificationMessage?,
                                    connectionGone: Bool = false) -> [Action] {
        let wasEstablished = state == .established
        let hadConnection = hasConnection || state == .connect
        var actions: [Action] = [.transition(move(to: .idle, reason))]
        if hadConnection && !connectionGone { actions.append(.close(notification)) }
        actions += stopTimers(runningTimers)
        if wasEstablished { actions.append(.down(reason)) }
        negotiated = nil
        if started {
            failuresInARow += 1
            var delay = configuration.idleHoldTime
            for _ in 1..<min(failuresInARow, 16) where delay < configuration.maximumIdleHoldTime { delay *= 2 }
            actions += startTimer(.idleHold, min(delay, configuration.maximumIdleHoldTime))
        }
        return actions
    }

    private mutating func move(to next: State, _ reason: Reason) -> Transition {
        let transition = Transition(from: state, to: next, reason: reason)
        state = next
        return transition
    }

    private mutating func restartHoldTimer() -> [Action] {
        guard let hold = negotiated?.holdDuration else { return [] }
        return startTimer(.hold, hold)
    }

    private mutating func startTimer(_ kind: TimerKind, _ duration: Duration) -> [Action] {
        runningTimers.insert(kind)
        return [.startTimer(kind, duration)]
    }

    private mutating func stopTimers(_ kinds: Set<TimerKind>) -> [Action] {
        let running = kinds.intersection(runningTimers).sorted()
        runningTimers.subtract(running)
        return running.map { .stopTimer($0) }
    }
}
