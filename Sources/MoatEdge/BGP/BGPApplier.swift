import BGP
import Foundation
import Logging
import MoatModel
import ServiceLifecycle
import Synchronization

/// Runs the edge's BGP sessions from the config's peers and announces the prefixes this edge
/// can deliver (``AnnouncementPolicy``), re-deciding whenever a tunnel changes state, the
/// config ages, or a drain moves on. A Service: at shutdown the sessions close the way a
/// graceful restart expects, so peers that negotiated it keep the routes while the agent restarts.
package final class BGPApplier: ConfigApplier, MetricsTextSource, Service {
    package let name = "bgp"

    package struct Options: Sendable {
        package var dataDirectory: URL
        /// Port for passive peers to connect to.
        package var listenPort: UInt16 = 179
        /// Withdraw everything when core has not answered for this long; nil: never.
        package var configMaxAge: Duration? = .seconds(24 * 3600)
        /// How often the decision is re-checked (tunnel states, config age, drain).
        package var tick: Duration = .milliseconds(100)

        package init(dataDirectory: URL) {
            self.dataDirectory = dataDirectory
        }
    }

    /// What `GET /bgp` on the edge shows.
    package struct Status: Codable, Sendable {
        package struct Session: Codable, Sendable {
            var name: String
            var address: String
            var state: String
            var since: Date
            var reason: String
            var announced: Int
            var received: Int
            var receivedDropped: Int
            var problem: String?

            enum CodingKeys: String, CodingKey {
                case name, address, state, since, reason, announced, received, problem
                case receivedDropped = "received_dropped"
            }
        }

        var drain: String
        var withdrawAt: Date?
        var sessions: [Session]
        var withheld: [String: String]

        enum CodingKeys: String, CodingKey {
            case drain, sessions, withheld
            case withdrawAt = "withdraw_at"
        }
    }

    /// What a decision depends on besides the config, whose version stands for it: the tick
    /// re-decides only when one of these moved, not for every prefix and route every 100 ms.
    private struct DecisionInputs: Equatable {
        var version: Int
        var edgeID: String
        var tunnels: [String: TunnelState]?
        var fresh: Bool
        var drain: AnnouncementPolicy.Drain
        var apps: [SpectrumApp]
    }

    private struct State {
        var config: EdgeConfig?
        var decision: AnnouncementPolicy.Decision?
        var decidedFor: DecisionInputs?
        var drain: DrainState?
        var peers: [BGPSpeaker.PeerSettings] = []
    }

    private let options: Options
    private let speaker: BGPSpeaker
    private let state = Mutex(State())
    private let edgeID: @Sendable () -> String?
    private let tunnelStates: @Sendable () -> [String: TunnelState]?
    private let servedApps: @Sendable () -> [SpectrumApp]
    private let contact: CoreContact
    private let logger: Logger

    package init(options: Options, edgeID: @escaping @Sendable () -> String?, tunnelStates: @escaping @Sendable () -> [String: TunnelState]?,
                 servedApps: @escaping @Sendable () -> [SpectrumApp] = { [] }, contact: CoreContact, logger: Logger) {
        self.options = options
        self.edgeID = edgeID
        self.tunnelStates = tunnelStates
        self.servedApps = servedApps
        self.contact = contact
        self.logger = logger
        speaker = BGPSpeaker(listenPort: options.listenPort) { name, transition in
            logger.notice("bgp \(name): \(transition.from) → \(transition.to) (\(transition.reason))")
        }
        state.withLock { $0.drain = DrainState.load(options.dataDirectory) }
    }

    package func prepare(_ config: EdgeConfig) async throws {
        _ = try settings(config)
    }

    package func commit(_ config: EdgeConfig) async throws {
        let peers = try settings(config)
        state.withLock { $0.config = config }
        let decision = decide()
        let changed = state.withLock { current in
            defer { current.peers = peers }
            return current.peers != peers
        }
        if changed || decision.changed {
            try speaker.configure(peers, announcements: decision.value.announcements)
        }
    }

    package func run() async throws {
        // Peers that negotiated graceful restart keep our routes while we are away; the rest
        // get a Cease.
        defer { speaker.stop(.restart) }
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: self.options.tick)
                let decision = self.decide()
                if decision.changed { self.speaker.announce(decision.value.announcements) }
            }
        }
    }

    // MARK: Drain

    /// Announces with GRACEFUL_SHUTDOWN now and withdraws after `wait`.
    package func drain(wait: Duration) throws {
        let drain = DrainState(state: "signalling", withdrawAt: Date().addingTimeInterval(Double(wait.components.seconds)))
        try drain.save(options.dataDirectory)
        state.withLock { $0.drain = drain }
        logger.notice("draining: GRACEFUL_SHUTDOWN now, withdrawing in \(wait)")
        let decision = decide()
        if decision.changed { speaker.announce(decision.value.announcements) }
    }

    package func undrain() {
        DrainState.remove(options.dataDirectory)
        state.withLock { $0.drain = nil }
        logger.notice("undrained: announcing again")
        let decision = decide()
        if decision.changed { speaker.announce(decision.value.announcements) }
    }

    package var status: Status {
        let (decision, drain) = state.withLock { ($0.decision, $0.drain) }
        let phase = drain?.phase(at: Date()) ?? .none
        let sessions = speaker.status().map { peer in
            Status.Session(name: peer.name, address: "\(peer.address)", state: "\(peer.state)", since: peer.since, reason: peer.lastReason,
                           announced: peer.announced, received: peer.received, receivedDropped: peer.receivedDropped,
                           problem: decision?.errors[peer.name])
        }
        var withheld: [String: String] = [:]
        for (prefix, reason) in decision?.withheld ?? [:] { withheld[prefix.description] = reason }
        return Status(drain: phase.rawValue, withdrawAt: phase == .signalling ? drain?.withdrawAt : nil, sessions: sessions, withheld: withheld)
    }

    package func originAS(of address: IPAddress) -> UInt32? { speaker.originAS(of: address) }

    // MARK: Deciding

    /// The decision for now, and whether it differs from the last one.
    private func decide() -> (value: AnnouncementPolicy.Decision, changed: Bool) {
        let now = Date()
        let fresh = options.configMaxAge.map { maxAge in
            contact.lastContact.map { now.timeIntervalSince($0) <= Double(maxAge.components.seconds) } ?? true
        } ?? true
        let tunnels = tunnelStates()
        let apps = servedApps()
        let id = edgeID() ?? ""
        return state.withLock { current in
            guard let config = current.config else {
                return (AnnouncementPolicy.Decision.nothing, false)
            }
            let drain = current.drain?.phase(at: now) ?? .none
            let key = DecisionInputs(version: config.version, edgeID: id, tunnels: tunnels, fresh: fresh, drain: drain, apps: apps)
            if key == current.decidedFor, let decision = current.decision { return (decision, false) }
            current.decidedFor = key
            var inputs = AnnouncementPolicy.Inputs(config: config, edgeID: id, tunnelStates: tunnels, configFresh: fresh, drain: drain)
            inputs.servedApps = apps
            let decision = AnnouncementPolicy.decide(inputs)
            let changed = decision != current.decision
            if changed {
                for (prefix, reason) in decision.withheld where current.decision?.withheld[prefix] != reason {
                    logger.notice("bgp: not announcing \(prefix): \(reason)")
                }
                current.decision = decision
            }
            return (decision, changed)
        }
    }

    /// The sessions this edge runs, from the config's peers.
    func settings(_ config: EdgeConfig) throws -> [BGPSpeaker.PeerSettings] {
        let id = edgeID() ?? ""
        return config.bgpPeers.filter { $0.applies(to: id) }.map { peer in
            var identifier: UInt32 = 0
            if case .v4(let address)? = peer.localAddress { identifier = address }
            if identifier == 0 { identifier = UInt32(truncatingIfNeeded: StableHash.of(id)) | 0x0100_0000 }
            let restart = peer.gracefulRestart
                ? GracefulRestartCapability(restartTime: UInt16(peer.restartTime), families: [.init(.ipv4Unicast), .init(.ipv6Unicast)])
                : nil
            let configuration = SessionConfiguration(localAS: peer.localASN, peerAS: peer.peerASN, identifier: identifier,
                                                     holdTime: UInt16(peer.holdTime), connectRetryTime: .seconds(5), idleHoldTime: .seconds(1),
                                                     maximumIdleHoldTime: .seconds(30), passive: peer.passive, gracefulRestart: restart)
            return BGPSpeaker.PeerSettings(name: peer.name, configuration: configuration,
                                           peer: .init(address: peer.peerAddress, localAddress: peer.localAddress, md5Key: peer.md5Key),
                                           receiveLimit: peer.receiveLimit)
        }
    }

    package func metricsText() -> String {
        let sessions = speaker.status()
        let withheld = state.withLock { $0.decision?.withheld.count ?? 0 }
        var lines = [
            "# HELP moat_edge_bgp_session_up Whether the BGP session to a peer is Established.",
            "# TYPE moat_edge_bgp_session_up gauge",
        ]
        for peer in sessions { lines.append("moat_edge_bgp_session_up{peer=\"\(peer.name)\"} \(peer.state == .established ? 1 : 0)") }
        lines += ["# HELP moat_edge_bgp_announced_prefixes Prefixes the peer has from this edge.", "# TYPE moat_edge_bgp_announced_prefixes gauge"]
        for peer in sessions { lines.append("moat_edge_bgp_announced_prefixes{peer=\"\(peer.name)\"} \(peer.announced)") }
        lines += ["# HELP moat_edge_bgp_received_routes Routes kept from the peer.", "# TYPE moat_edge_bgp_received_routes gauge"]
        for peer in sessions { lines.append("moat_edge_bgp_received_routes{peer=\"\(peer.name)\"} \(peer.received)") }
        lines += ["# HELP moat_edge_bgp_received_dropped Routes dropped over the peer's receive limit since the session came up.",
                  "# TYPE moat_edge_bgp_received_dropped gauge"]
        for peer in sessions { lines.append("moat_edge_bgp_received_dropped{peer=\"\(peer.name)\"} \(peer.receivedDropped)") }
        lines += ["# HELP moat_edge_bgp_established_total Times the session reached Established.", "# TYPE moat_edge_bgp_established_total counter"]
        for peer in sessions { lines.append("moat_edge_bgp_established_total{peer=\"\(peer.name)\"} \(peer.establishedCount)") }
        lines += ["# HELP moat_edge_bgp_withheld_prefixes Advertised prefixes this edge does not announce because it cannot deliver them.",
                  "# TYPE moat_edge_bgp_withheld_prefixes gauge", "moat_edge_bgp_withheld_prefixes \(withheld)"]
        return lines.joined(separator: "\n") + "\n"
    }
}
