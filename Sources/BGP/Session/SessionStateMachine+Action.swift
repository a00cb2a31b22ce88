extension SessionStateMachine {
    package enum State: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
        case idle
        case connect
        case active
        case openSent = "open_sent"
        case openConfirm = "open_confirm"
        case established

        package var description: String { rawValue }
    }

    /// The four timers the adapter runs for the machine (RFC 4271 §8.1.3 and IdleHoldTimer).
    package enum TimerKind: String, Hashable, Sendable, CaseIterable, Comparable {
        case connectRetry = "connect_retry"
        case hold
        case keepalive
        case idleHold = "idle_hold"

        package static func < (lhs: TimerKind, rhs: TimerKind) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// What the adapter must do, in order.
    package enum Action: Hashable, Sendable {
        /// The state changed; log it (and count it).
        case transition(Transition)
        /// Open a TCP connection to the peer.
        case connect
        case send(BGPMessage)
        /// Send the NOTIFICATION if there is one, then close the connection (or abandon the
        /// connection attempt).
        case close(NotificationMessage?)
        /// Start the timer, replacing it if it runs; report its expiry as an event.
        case startTimer(TimerKind, Duration)
        case stopTimer(TimerKind)
        /// The session is up: switch the codec to `negotiated.codecOptions`, send routes.
        case established(Negotiated)
        /// An established session went down: withdraw the peer's routes (or keep them stale
        /// for the peer's graceful restart time).
        case down(Reason)
        /// An UPDATE from the peer for the routing layer.
        case deliver(UpdateMessage)
        /// The peer asked for our routes of this family again (RFC 2918).
        case resendRoutes(AddressFamily)
    }

    /// A named state change, as BIRD names its transitions: what the logs and metrics see.
    package struct Transition: Hashable, Sendable, CustomStringConvertible {
        package var from: State
        package var to: State
        package var reason: Reason

        package init(from: State, to: State, reason: Reason) {
            self.from = from
            self.to = to
            self.reason = reason
        }

        package var description: String { "\(from) -> \(to): \(reason)" }
    }

    /// Why the state changed.
    package enum Reason: Hashable, Sendable, CustomStringConvertible {
        case manualStart
        /// The idle hold timer ran out after an error (RFC 4271 Event 3, AutomaticStart).
        case automaticStart
        case manualStop
        case connectionConfirmed
        /// The TCP connection attempt failed, or the connection failed before an OPEN was sent.
        case connectionFailed
        /// The TCP connection dropped after the OPEN exchange started.
        case connectionLost
        case connectRetryTimerExpired
        case openAccepted
        /// The peer's OPEN was refused with this NOTIFICATION code.
        case openRejected(BGPDecodeError.Code)
        case keepaliveReceived
        case holdTimerExpired
        case notificationReceived(NotificationMessage)
        /// A message did not decode; we sent the NOTIFICATION of this code.
        case messageError(BGPDecodeError.Code)
        /// A message the state does not allow (RFC 6608 FSM error sent).
        case unexpectedMessage(MessageType)

        /// Stable snake_case name for metrics labels.
        package var name: String {
            switch self {
            case .manualStart: return "manual_start"
            case .automaticStart: return "automatic_start"
            case .manualStop: return "manual_stop"
            case .connectionConfirmed: return "connection_confirmed"
            case .connectionFailed: return "connection_failed"
            case .connectionLost: return "connection_lost"
            case .connectRetryTimerExpired: return "connect_retry_timer_expired"
            case .openAccepted: return "open_accepted"
            case .openRejected: return "open_rejected"
            case .keepaliveReceived: return "keepalive_received"
            case .holdTimerExpired: return "hold_timer_expired"
            case .notificationReceived: return "notification_received"
            case .messageError: return "message_error"
            case .unexpectedMessage: return "unexpected_message"
            }
        }

        package var description: String {
            switch self {
            case .openRejected(let code), .messageError(let code): return "\(name) (\(code))"
            case .notificationReceived(let notification): return "\(name) (\(notification))"
            case .unexpectedMessage(let type): return "\(name) (\(type))"
            default: return name
            }
        }
    }
}
