@testable import BGP

/// Plays the adapter for a `SessionStateMachine` with a virtual clock: it keeps the timers
/// the machine asks for and fires them, in deadline order, as time is advanced by hand.
struct SessionHarness {
    typealias Action = SessionStateMachine.Action
    typealias TimerKind = SessionStateMachine.TimerKind

    var machine: SessionStateMachine
    private(set) var now: Duration = .zero
    private(set) var deadlines: [TimerKind: Duration] = [:]
    /// Messages sent, including the NOTIFICATION of a close.
    private(set) var sent: [BGPMessage] = []
    private(set) var transitions: [SessionStateMachine.Transition] = []

    init(_ configuration: SessionConfiguration) {
        machine = SessionStateMachine(configuration: configuration)
    }

    var state: SessionStateMachine.State { machine.state }

    /// Runs one event and performs its actions; returns them for the test to check.
    @discardableResult
    mutating func event(_ body: (inout SessionStateMachine) -> [Action]) -> [Action] {
        perform(body(&machine))
    }

    /// Moves the clock forward, firing every timer that falls due on the way.
    @discardableResult
    mutating func advance(by duration: Duration) -> [Action] {
        let end = now + duration
        var actions: [Action] = []
        while let (kind, deadline) = deadlines.filter({ $0.value <= end }).min(by: { ($0.value, $0.key) < ($1.value, $1.key) }) {
            now = deadline
            deadlines[kind] = nil
            actions += perform(machine.timerExpired(kind))
        }
        now = end
        return actions
    }

    /// Drives a fresh machine to Established, the peer answering with `open`.
    mutating func establish(peer open: OpenMessage) {
        event { $0.manualStart() }
        event { $0.connectionConfirmed() }
        event { $0.openReceived(open) }
        event { $0.keepaliveReceived() }
    }

    private mutating func perform(_ actions: [Action]) -> [Action] {
        for action in actions {
            switch action {
            case .startTimer(let kind, let duration): deadlines[kind] = now + duration
            case .stopTimer(let kind): deadlines[kind] = nil
            case .send(let message): sent.append(message)
            case .close(let notification?): sent.append(.notification(notification))
            case .transition(let transition): transitions.append(transition)
            default: break
            }
        }
        return actions
    }
}
