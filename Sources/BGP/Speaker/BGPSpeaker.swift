import Foundation
import LinuxNet
import MoatModel
import Synchronization

/// All BGP sessions of one edge: starts, replaces and stops a ``BGPSessionRunner`` per
/// configured peer, accepts connections for passive peers, hands each session its
/// announcement, and keeps what each peer sent (with a per-peer maximum).
package final class BGPSpeaker: Sendable {
    package struct PeerSettings: Hashable, Sendable {
        /// Unique per speaker; names the session in status, logs and metrics.
        package var name: String
        package var configuration: SessionConfiguration
        package var peer: BGPSessionRunner.Peer
        package var receiveLimit: Int

        package init(name: String, configuration: SessionConfiguration, peer: BGPSessionRunner.Peer, receiveLimit: Int = 10_000) {
            self.name = name
            self.configuration = configuration
            self.peer = peer
            self.receiveLimit = receiveLimit
        }
    }

    package struct PeerStatus: Equatable, Sendable {
        package var name: String
        package var address: IPAddress
        package var state: SessionStateMachine.State
        /// When the session last changed state, and why.
        package var since: Date
        package var lastReason: String
        /// Prefixes the peer has from us.
        package var announced: Int
        package var received: Int
        package var receivedDropped: Int
        package var establishedCount: Int
    }

    private struct Session {
        var settings: PeerSettings
        var runner: BGPSessionRunner
        var received: ReceivedRoutes
        var status: PeerStatus
    }

    private let sessions = Mutex<[String: Session]>([:])
    private let listener = Mutex<BGPListener?>(nil)
    private let listenPort: UInt16
    private let startedAt = ContinuousClock.now
    private let onTransition: @Sendable (String, SessionStateMachine.Transition) -> Void

    /// - Parameter listenPort: where passive peers connect (179; tests use another).
    package init(listenPort: UInt16 = 179, onTransition: @escaping @Sendable (String, SessionStateMachine.Transition) -> Void = { _, _ in }) {
        self.listenPort = listenPort
        self.onTransition = onTransition
    }

    /// Runs exactly these peers: new ones start, removed ones end with a Cease, changed ones
    /// restart. Throws when the port for passive peers cannot be opened (the active ones run).
    package func configure(_ peers: [PeerSettings], announcements: [String: Announcement]) throws(SystemCallError) {
        let wanted = Dictionary(peers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let (stale, keep) = sessions.withLock { sessions -> ([BGPSessionRunner], Set<String>) in
            var stale: [BGPSessionRunner] = []
            for (name, session) in sessions where wanted[name] != session.settings {
                stale.append(session.runner)
                sessions[name] = nil
            }
            return (stale, Set(sessions.keys))
        }
        for runner in stale { runner.stop(.shutdown) }
        let needsListener = peers.contains { $0.configuration.passive }
        var listenError: SystemCallError?
        if needsListener { listenError = ensureListener(peers) } else { listener.withLock { $0 }?.stop(); listener.withLock { $0 = nil } }
        for settings in peers where !keep.contains(settings.name) {
            start(settings, announcement: announcements[settings.name] ?? Announcement(prefixes: []))
        }
        for settings in peers where keep.contains(settings.name) {
            if let announcement = announcements[settings.name] { runner(settings.name)?.update(announcement) }
        }
        if let listenError { throw listenError }
    }

    /// Gives each session its announcement (a session without one announces nothing).
    package func announce(_ announcements: [String: Announcement]) {
        let runners = sessions.withLock { $0.mapValues(\.runner) }
        for (name, runner) in runners { runner.update(announcements[name] ?? Announcement(prefixes: [])) }
    }

    package func status() -> [PeerStatus] {
        sessions.withLock { sessions in sessions.values.map(\.status).sorted { $0.name < $1.name } }
    }

    /// The AS that originates the longest prefix covering `address` among every peer's
    /// routes, preferring the longest match across peers.
    package func originAS(of address: IPAddress) -> UInt32? {
        sessions.withLock { sessions in
            sessions.values.compactMap { $0.received.longestMatch(address) }
                .max { $0.prefix.length < $1.prefix.length }?.route.originAS
        }
    }

    /// Ends every session: `.shutdown` withdraws our routes, `.restart` leaves them with peers
    /// that negotiated graceful restart (the others get a Cease).
    package func stop(_ mode: BGPSessionRunner.StopMode) {
        let runners = sessions.withLock { sessions in defer { sessions = [:] }; return sessions.values.map(\.runner) }
        for runner in runners { runner.stop(runner.configuration.gracefulRestart == nil ? .shutdown : mode) }
        listener.withLock { $0 }?.stop()
        listener.withLock { $0 = nil }
    }

    private func runner(_ name: String) -> BGPSessionRunner? { sessions.withLock { $0[name]?.runner } }

    private func start(_ settings: PeerSettings, announcement: Announcement) {
        var configuration = settings.configuration
        // RFC 4724 §3: the Restart State bit tells the peer we came back from a restart.
        if var restart = configuration.gracefulRestart, ContinuousClock.now - startedAt < .seconds(Int(restart.restartTime)) {
            restart.restarting = true
            configuration.gracefulRestart = restart
        }
        let name = settings.name
        let runner = BGPSessionRunner(
            configuration: configuration, peer: settings.peer, announcement: announcement,
            onTransition: { [weak self] transition in self?.transitioned(name, transition) },
            onUpdate: { [weak self] update in self?.received(name, update) },
            onSent: { [weak self] prefixes in self?.sessions.withLock { $0[name]?.status.announced = prefixes.count } })
        let status = PeerStatus(name: name, address: settings.peer.address, state: .idle, since: Date(), lastReason: "configured",
                                announced: 0, received: 0, receivedDropped: 0, establishedCount: 0)
        sessions.withLock { $0[name] = Session(settings: settings, runner: runner, received: ReceivedRoutes(limit: settings.receiveLimit), status: status) }
    }

    private func transitioned(_ name: String, _ transition: SessionStateMachine.Transition) {
        sessions.withLock { sessions in
            guard var session = sessions[name] else { return }
            session.status.state = transition.to
            session.status.since = Date()
            session.status.lastReason = transition.reason.description
            if transition.to == .established { session.status.establishedCount += 1 }
            if transition.from == .established {
                session.received.clear()
                session.status.received = 0
                session.status.receivedDropped = 0
            }
            sessions[name] = session
        }
        onTransition(name, transition)
    }

    private func received(_ name: String, _ update: UpdateMessage) {
        sessions.withLock { sessions in
            guard sessions[name] != nil else { return }
            sessions[name]!.received.apply(update)
            sessions[name]!.status.received = sessions[name]!.received.count
            sessions[name]!.status.receivedDropped = sessions[name]!.received.dropped
        }
    }

    private func ensureListener(_ peers: [PeerSettings]) -> SystemCallError? {
        do {
            let current = listener.withLock { $0 }
            let active: BGPListener
            if let current {
                active = current
            } else {
                active = try BGPListener(port: listenPort, ipv4: true, ipv6: true) { [weak self] address in
                    self?.sessions.withLock { sessions in
                        sessions.values.first { $0.settings.peer.address == address && $0.settings.configuration.passive }?.runner
                    }
                }
                listener.withLock { $0 = active }
            }
            for settings in peers where settings.configuration.passive {
                try active.setMD5(peer: settings.peer.address, key: settings.peer.md5Key ?? "")
            }
            return nil
        } catch {
            return error
        }
    }
}
