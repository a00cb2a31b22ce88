import Foundation
import LinuxNet
import MoatModel
import Synchronization

/// Runs one BGP session to a peer on a thread: the socket IO and timers around the pure
/// ``SessionStateMachine``. It only switches on the machine's actions: connect, send, close,
/// start and stop timers, and hand received UPDATEs and transitions to its owner.
///
/// An active session connects to the peer; a passive one waits for connections that a
/// ``BGPListener`` hands over with ``incoming(_:)``.
package final class BGPSessionRunner: Sendable {
    package struct Peer: Hashable, Sendable {
        package var address: IPAddress
        package var port: UInt16
        package var localAddress: IPAddress?
        package var md5Key: String?

        package init(address: IPAddress, port: UInt16 = 179, localAddress: IPAddress? = nil, md5Key: String? = nil) {
            self.address = address
            self.port = port
            self.localAddress = localAddress
            self.md5Key = md5Key
        }
    }

    /// How a session ends.
    package enum StopMode: Sendable {
        /// Cease / Administrative Shutdown: the peer withdraws our routes at once.
        case shutdown
        /// Close without a NOTIFICATION: a graceful restart helper keeps our routes until we
        /// are back or its restart timer runs out (RFC 4724).
        case restart
    }

    package let configuration: SessionConfiguration
    package let peer: Peer
    private let announcement: Mutex<Announcement>
    private let running = Atomic<Bool>(true)
    private let stopRequested = Mutex<StopMode?>(nil)
    private let reannounce = Atomic<Bool>(false)
    private let pending = Mutex<[TCPConnection]>([])
    private let current = Mutex(SessionStateMachine.State.idle)
    private let onTransition: @Sendable (SessionStateMachine.Transition) -> Void
    private let onUpdate: @Sendable (UpdateMessage) -> Void
    private let onSent: @Sendable (Set<CIDR>) -> Void
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - onUpdate: each UPDATE received, on the session's thread.
    ///   - onSent: the prefixes the peer has from us after each change we sent (empty when down).
    package init(configuration: SessionConfiguration, peer: Peer, announcement: Announcement,
                 onTransition: @escaping @Sendable (SessionStateMachine.Transition) -> Void = { _ in },
                 onUpdate: @escaping @Sendable (UpdateMessage) -> Void = { _ in },
                 onSent: @escaping @Sendable (Set<CIDR>) -> Void = { _ in }) {
        self.configuration = configuration
        self.peer = peer
        self.announcement = Mutex(announcement)
        self.onTransition = onTransition
        self.onUpdate = onUpdate
        self.onSent = onSent
        let thread = Thread { [self] in
            self.run()
            self.finished.signal()
        }
        thread.name = "bgp-\(peer.address)"
        thread.start()
    }

    package var state: SessionStateMachine.State { current.withLock { $0 } }

    /// Announces `announcement` instead: withdraws what left it, announces what is new.
    package func update(_ announcement: Announcement) {
        let changed = self.announcement.withLock { current in
            defer { current = announcement }
            return current != announcement
        }
        if changed { reannounce.store(true, ordering: .relaxed) }
    }

    /// A connection from the peer's address, accepted by a listener. The session takes it when
    /// its state allows one (Connect or Active) and refuses it with Cease / Connection Rejected
    /// otherwise.
    package func incoming(_ connection: TCPConnection) {
        pending.withLock { $0.append(connection) }
    }

    /// Ends the session and its thread; returns once the thread is done (at most ~0.2 s).
    package func stop(_ mode: StopMode = .shutdown) {
        guard running.load(ordering: .relaxed) else { return }
        stopRequested.withLock { $0 = mode }
        finished.wait()
    }

    // MARK: - The loop

    private struct Loop {
        var machine: SessionStateMachine
        var connection: TCPConnection?
        var timers: [SessionStateMachine.TimerKind: ContinuousClock.Instant] = [:]
        var buffer: [UInt8] = []
        var options = BGPCodecOptions.beforeNegotiation
        /// What the peer has from us on this connection; nil until the first announcement.
        var announced: Announcement?
        var sent: Set<CIDR> = []
    }

    private func run() {
        var loop = Loop(machine: SessionStateMachine(configuration: configuration))
        perform(loop.machine.manualStart(), &loop)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 8)
        defer { scratch.deallocate() }
        session: while true {
            if let mode = stopRequested.withLock({ $0 }) {
                switch mode {
                case .shutdown: perform(loop.machine.manualStop(communication: "moat edge stopping"), &loop)
                case .restart: perform(loop.machine.restartStop(), &loop)
                }
                break session
            }
            acceptPending(&loop)
            if reannounce.exchange(false, ordering: .relaxed), loop.machine.state == .established { sendAnnouncement(&loop) }
            let now = ContinuousClock.now
            let wait = loop.timers.values.map { $0 - now }.min().map { max(.zero, min($0, .milliseconds(50))) } ?? .milliseconds(50)
            let waitMs = Int32(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)
            if let connection = loop.connection {
                do {
                    if let count = try connection.read(into: scratch, pollTimeout: waitMs) {
                        if count == 0 {
                            dropConnection(&loop)
                        } else {
                            loop.buffer += UnsafeRawBufferPointer(rebasing: scratch[0..<count])
                            receiveMessages(&loop)
                        }
                    }
                } catch {
                    dropConnection(&loop)
                }
            } else {
                usleep(UInt32(max(1, waitMs)) * 1000)
            }
            let after = ContinuousClock.now
            for (kind, deadline) in loop.timers.sorted(by: { $0.key < $1.key }) where deadline <= after {
                loop.timers[kind] = nil
                perform(loop.machine.timerExpired(kind), &loop)
            }
        }
        loop.connection = nil
        running.store(false, ordering: .relaxed)
        pending.withLock { $0.removeAll() }
    }

    private func dropConnection(_ loop: inout Loop) {
        loop.connection = nil
        perform(loop.machine.connectionFailed(), &loop)
    }

    private func acceptPending(_ loop: inout Loop) {
        let connections = pending.withLock { list in defer { list = [] }; return list }
        for connection in connections {
            if loop.connection == nil && loop.machine.acceptsConnection {
                loop.connection = connection
                loop.buffer = []
                loop.options = .beforeNegotiation
                perform(loop.machine.connectionConfirmed(), &loop)
            } else if let bytes = try? BGPMessageEncoder(options: .beforeNegotiation).encode(.notification(.cease(.connectionRejected))) {
                try? connection.write(bytes)
            }
        }
    }

    private func receiveMessages(_ loop: inout Loop) {
        while loop.connection != nil {
            let length: Int?
            do {
                length = try BGPMessageDecoder.frameLength(of: loop.buffer)
            } catch {
                perform(loop.machine.messageError(error), &loop)
                return
            }
            guard let length, loop.buffer.count >= length else { return }
            let bytes = Array(loop.buffer[0..<length])
            loop.buffer.removeFirst(length)
            do {
                let message = try BGPMessageDecoder(options: loop.options).decode(bytes)
                perform(loop.machine.received(message), &loop)
            } catch {
                perform(loop.machine.messageError(error), &loop)
            }
        }
    }

    /// Carries out actions, and the actions those cause, in order.
    private func perform(_ actions: [SessionStateMachine.Action], _ loop: inout Loop) {
        var queue = actions[...]
        while let action = queue.popFirst() {
            switch action {
            case .transition(let transition):
                current.withLock { $0 = transition.to }
                onTransition(transition)
            case .connect:
                do {
                    loop.connection = try TCPConnection(remote: SocketAddress(peer.address.socketHost, port: peer.port),
                                                        local: peer.localAddress?.socketHost, md5Key: peer.md5Key, timeout: .seconds(5))
                    loop.buffer = []
                    loop.options = .beforeNegotiation
                    queue += loop.machine.connectionConfirmed()
                } catch {
                    queue += loop.machine.connectionFailed()
                }
            case .send(let message):
                guard let connection = loop.connection else { continue }
                do {
                    try connection.write(try BGPMessageEncoder(options: loop.options).encode(message))
                } catch {
                    loop.connection = nil
                    queue += loop.machine.connectionFailed()
                }
            case .close(let notification):
                if let notification, let connection = loop.connection,
                   let bytes = try? BGPMessageEncoder(options: loop.options).encode(.notification(notification)) {
                    try? connection.write(bytes)
                }
                loop.connection = nil
                forgetAnnounced(&loop)
            case .startTimer(let kind, let duration):
                loop.timers[kind] = ContinuousClock.now + duration
            case .stopTimer(let kind):
                loop.timers[kind] = nil
            case .established(let negotiated):
                loop.options = negotiated.codecOptions
                sendAnnouncement(&loop)
            case .down:
                forgetAnnounced(&loop)
            case .deliver(let update):
                onUpdate(update)
            case .resendRoutes:
                loop.announced = nil
                sendAnnouncement(&loop)
            }
        }
    }

    private func forgetAnnounced(_ loop: inout Loop) {
        loop.announced = nil
        if !loop.sent.isEmpty {
            loop.sent = []
            onSent([])
        }
    }

    /// Sends the difference between what the peer has and what it should have; the first time
    /// on a connection, everything and then End-of-RIB per family (RFC 4724).
    private func sendAnnouncement(_ loop: inout Loop) {
        let wanted = announcement.withLock { $0 }
        let families = loop.options.families
        let sessionAddress = loop.connection?.local.map(\.host.ipAddress)
        let deliverable = wanted.deliverable(families: families, sessionAddress: sessionAddress)
        var messages: [UpdateMessage] = []
        if let previous = loop.announced {
            let gone = loop.sent.subtracting(deliverable)
            let v4 = gone.filter(\.isIPv4).sorted()
            let v6 = gone.filter { !$0.isIPv4 }.sorted()
            if !v4.isEmpty { messages.append(UpdateMessage(withdrawn: v4)) }
            if !v6.isEmpty { messages.append(UpdateMessage(attributes: [.mpUnreachNLRI(MultiprotocolUnreach(family: .ipv6Unicast, withdrawn: v6))])) }
            // New prefixes, and those whose path changed; everything when shared attributes changed.
            let changed = previous.sameAttributes(as: wanted)
                ? deliverable.filter { !loop.sent.contains($0) || previous.origins[$0] != wanted.origins[$0] }
                : deliverable
            if !changed.isEmpty {
                messages += wanted.updates(localAS: configuration.localAS, isInternal: configuration.isInternal, families: families,
                                           sessionAddress: sessionAddress, only: changed)
            }
        } else {
            messages = wanted.updates(localAS: configuration.localAS, isInternal: configuration.isInternal, families: families,
                                      sessionAddress: sessionAddress)
            for family in [AddressFamily.ipv4Unicast, .ipv6Unicast] where families.contains(family) {
                messages.append(.endOfRIB(family))
            }
        }
        loop.announced = wanted
        for message in messages {
            perform(loop.machine.sendUpdate(message), &loop)
        }
        if loop.machine.state == .established && loop.sent != deliverable {
            loop.sent = deliverable
            onSent(deliverable)
        }
    }
}

extension IPAddress {
    var socketHost: SocketAddress.Host {
        switch self {
        case .v4(let value): return .v4(value)
        case .v6(let value): return .v6(value)
        }
    }
}

extension SocketAddress.Host {
    var ipAddress: IPAddress {
        switch self {
        case .v4(let value): return .v4(value)
        case .v6(let value): return .v6(value)
        }
    }
}
