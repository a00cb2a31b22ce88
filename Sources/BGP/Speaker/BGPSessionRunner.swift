import Foundation
import LinuxNet
import MoatModel
import Synchronization

/// Runs one BGP session to a peer on a thread: the socket IO and timers around the pure
/// ``SessionStateMachine``. It only switches on the machine's actions: connect, send, close,
/// start and stop timers, and hand received UPDATEs and transitions to its owner.
///
/// Active sessions (we connect to the peer's port 179); the peer may be passive.
package final class BGPSessionRunner: Sendable {
    package struct Peer: Sendable {
        package var address: UInt32
        package var port: UInt16
        package var localAddress: UInt32?
        package var md5Key: String?

        package init(address: UInt32, port: UInt16 = 179, localAddress: UInt32? = nil, md5Key: String? = nil) {
            self.address = address
            self.port = port
            self.localAddress = localAddress
            self.md5Key = md5Key
        }
    }

    private let configuration: SessionConfiguration
    private let peer: Peer
    private let announcement: Mutex<Announcement>
    private let running = Atomic<Bool>(true)
    private let stopRequested = Atomic<Bool>(false)
    private let reannounce = Atomic<Bool>(false)
    private let current = Mutex(SessionStateMachine.State.idle)
    private let onTransition: @Sendable (SessionStateMachine.Transition) -> Void
    private let onUpdate: @Sendable (UpdateMessage) -> Void

    package init(configuration: SessionConfiguration, peer: Peer, announcement: Announcement,
                 onTransition: @escaping @Sendable (SessionStateMachine.Transition) -> Void = { _ in },
                 onUpdate: @escaping @Sendable (UpdateMessage) -> Void = { _ in }) {
        self.configuration = configuration
        self.peer = peer
        self.announcement = Mutex(announcement)
        self.onTransition = onTransition
        self.onUpdate = onUpdate
        let thread = Thread { [self] in self.run() }
        thread.name = "bgp-\(IPAddress.v4(peer.address))"
        thread.start()
    }

    package var state: SessionStateMachine.State { current.withLock { $0 } }

    /// Announces `announcement` instead: withdraws what left it, announces what is new.
    package func update(_ announcement: Announcement) {
        self.announcement.withLock { $0 = announcement }
        reannounce.store(true, ordering: .relaxed)
    }

    /// Sends a Cease NOTIFICATION and stops.
    package func stop() { stopRequested.store(true, ordering: .relaxed) }

    // MARK: - The loop

    private struct Loop {
        var machine: SessionStateMachine
        var connection: TCPConnection?
        var timers: [SessionStateMachine.TimerKind: ContinuousClock.Instant] = [:]
        var buffer: [UInt8] = []
        var options = BGPCodecOptions.beforeNegotiation
        var announced: Announcement?
    }

    private func run() {
        var loop = Loop(machine: SessionStateMachine(configuration: configuration))
        perform(loop.machine.manualStart(), &loop)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 8)
        defer { scratch.deallocate() }
        while running.load(ordering: .relaxed) {
            if stopRequested.exchange(false, ordering: .relaxed) {
                perform(loop.machine.manualStop(communication: "moat edge stopping"), &loop)
                running.store(false, ordering: .relaxed)
                break
            }
            if reannounce.exchange(false, ordering: .relaxed), loop.machine.state == .established { sendAnnouncement(&loop) }
            let now = ContinuousClock.now
            let wait = loop.timers.values.map { $0 - now }.min().map { max(.zero, min($0, .milliseconds(100))) } ?? .milliseconds(100)
            let waitMs = Int32(wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)
            if let connection = loop.connection {
                do {
                    if let count = try connection.read(into: scratch, pollTimeout: waitMs) {
                        if count == 0 {
                            loop.connection = nil
                            perform(loop.machine.connectionFailed(), &loop)
                        } else {
                            loop.buffer += UnsafeRawBufferPointer(rebasing: scratch[0..<count])
                            receiveMessages(&loop)
                        }
                    }
                } catch {
                    loop.connection = nil
                    perform(loop.machine.connectionFailed(), &loop)
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
                    loop.connection = try TCPConnection(remote: peer.address, port: peer.port, local: peer.localAddress,
                                                        md5Key: peer.md5Key, timeout: .seconds(5))
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
                loop.announced = nil
            case .startTimer(let kind, let duration):
                loop.timers[kind] = ContinuousClock.now + duration
            case .stopTimer(let kind):
                loop.timers[kind] = nil
            case .established(let negotiated):
                loop.options = negotiated.codecOptions
                sendAnnouncement(&loop)
            case .down:
                loop.announced = nil
            case .deliver(let update):
                onUpdate(update)
            case .resendRoutes:
                loop.announced = nil
                sendAnnouncement(&loop)
            }
        }
    }

    /// Sends the difference between what the peer has and what it should have.
    private func sendAnnouncement(_ loop: inout Loop) {
        let wanted = announcement.withLock { $0 }
        var messages: [UpdateMessage] = []
        if let previous = loop.announced {
            let gone = Set(previous.prefixes).subtracting(wanted.prefixes)
            let v4 = gone.filter(\.isIPv4).sorted()
            let v6 = gone.filter { !$0.isIPv4 }.sorted()
            if !v4.isEmpty { messages.append(UpdateMessage(withdrawn: v4)) }
            if !v6.isEmpty { messages.append(UpdateMessage(attributes: [.mpUnreachNLRI(MultiprotocolUnreach(family: .ipv6Unicast, withdrawn: v6))])) }
        }
        // Announcing again what the peer has is harmless (an implicit replace) and keeps
        // attribute changes (communities, next hop) simple.
        messages += wanted.updates(localAS: configuration.localAS, families: loop.options.families)
        loop.announced = wanted
        for message in messages {
            let actions = loop.machine.sendUpdate(message)
            perform(actions, &loop)
        }
    }
}
