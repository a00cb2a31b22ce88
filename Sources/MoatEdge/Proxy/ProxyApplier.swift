import Foundation
import Logging
import MoatModel
import NIOCore
import NIOPosix
import Proxy
import ServiceLifecycle
import Synchronization

/// Runs the location's Spectrum apps on this edge: a listener per app, changed apps updated in
/// place (open connections keep going), removed apps drained (no new connections; open ones
/// get `drainTime`, then close). Finished connections go to core with the telemetry.
///
/// An app with a port range gets one transparent socket (TCP or UDP) on a free port, and the
/// table `inet moat_proxy` sends the range there with TPROXY. That needs CAP_NET_ADMIN: without
/// it single-port apps run and each ranged app is reported as not served, with the reason.
package final class ProxyApplier: ConfigApplier, MetricsTextSource, ProxyEventSource, Service {
    package let name = "proxy"

    private enum Listener {
        case tcp(TCPProxyListener)
        case udp(UDPProxyListener)
        case udpRange(TransparentUDPListener)

        var runtime: AppRuntime {
            switch self {
            case .tcp(let listener): return listener.runtime
            case .udp(let listener): return listener.runtime
            case .udpRange(let listener): return listener.runtime
            }
        }

        var port: Int {
            switch self {
            case .tcp(let listener): return listener.port
            case .udp(let listener): return listener.port
            case .udpRange(let listener): return listener.port
            }
        }

        func stop() async {
            switch self {
            case .tcp(let listener): await listener.stop()
            case .udp(let listener): await listener.stop()
            case .udpRange(let listener): await listener.stop()
            }
        }
    }

    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let drainTime: Duration
    private let running = Mutex<[String: Listener]>([:])
    /// Apps of the config this edge does not serve, and why.
    private let unserved = Mutex<[String: String]>([:])
    private let events = Mutex<[ProxyEvent]>([])
    private let dropped = Atomic<Int>(0)
    /// Events kept for core at most; beyond that the oldest go (and are counted).
    private let maxQueued = 100_000
    private let routing: TProxyRouting
    /// The ranges in force: nil before the first config, so a table left by a crash goes too.
    private let programmed = Mutex<TProxyRuleset?>(nil)
    private let rangeSupport: @Sendable () -> String?

    /// `rangeSupport` says why ranges cannot be served here (nil: they can); tests replace it.
    package init(threads: Int = System.coreCount, drainTime: Duration = .seconds(30), logger: Logger,
                 rangeSupport: @escaping @Sendable () -> String? = { TProxyRouting.unsupportedReason }) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        self.drainTime = drainTime
        self.logger = logger
        self.routing = TProxyRouting()
        self.rangeSupport = rangeSupport
    }

    package func prepare(_ config: EdgeConfig) async throws {}

    package func commit(_ config: EdgeConfig) async throws {
        let wanted = Dictionary(config.apps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let current = running.withLock { $0 }
        unserved.withLock { $0 = $0.filter { wanted[$0.key] != nil } }
        for (id, listener) in current {
            guard let app = wanted[id] else {
                running.withLock { _ = $0.removeValue(forKey: id) }
                await drain(listener)
                continue
            }
            let old = listener.runtime.app
            if old.proto == app.proto && old.ports == app.ports && old.edgeAddress == app.edgeAddress {
                listener.runtime.update(app)
            } else {
                // Another socket: the new listener takes new connections, the old one drains.
                running.withLock { _ = $0.removeValue(forKey: id) }
                await drain(listener)
                try await start(app)
            }
        }
        for (id, app) in wanted where current[id] == nil {
            try await start(app)
        }
        programRanges()
    }

    private func start(_ app: SpectrumApp) async throws {
        if app.ports.count > 1 { return await startRange(app) }
        let host = app.edgeAddress.map { "\($0)" } ?? "::"
        let runtime = AppRuntime(app: app) { [weak self] event in self?.queue(event) }
        do {
            let listener: Listener
            switch app.proto {
            case .tcp: listener = .tcp(try await TCPProxyListener.start(runtime: runtime, host: host, port: app.ports.low, group: group,
                                                                        checkInterval: .seconds(10)))
            case .udp: listener = .udp(try await UDPProxyListener.start(runtime: runtime, host: host, port: app.ports.low, group: group))
            }
            running.withLock { $0[app.id] = listener }
            logger.notice("app \(app.name): \(app.proto.rawValue) \(host) port \(app.ports) → \(app.origins.count) origin(s)")
        } catch {
            throw ApplyError(part: name, reason: "app \(app.name) (\(app.id)): cannot listen on \(app.proto.rawValue) \(host) port \(app.ports): \(error)")
        }
    }

    /// A ranged app: a transparent socket on a free port, which ``programRanges()`` points the
    /// range at. When that cannot work here, the app is reported as not served; the others run.
    private func startRange(_ app: SpectrumApp) async {
        if let reason = rangeSupport() {
            notServed(app, reason)
            return
        }
        // An IPv4 edge address gets an IPv4 socket; otherwise one IPv6 socket takes both families.
        let dualStack = !(app.edgeAddress?.isIPv4 ?? false)
        let runtime = AppRuntime(app: app) { [weak self] event in self?.queue(event) }
        do {
            let listener: Listener
            switch app.proto {
            case .tcp: listener = .tcp(try await TCPProxyListener.start(runtime: runtime, host: dualStack ? "::" : "0.0.0.0", port: 0, group: group,
                                                                        checkInterval: .seconds(10), transparent: true))
            case .udp: listener = .udpRange(try await TransparentUDPListener.start(runtime: runtime, group: group, dualStack: dualStack))
            }
            running.withLock { $0[app.id] = listener }
            unserved.withLock { _ = $0.removeValue(forKey: app.id) }
            logger.notice("app \(app.name): \(app.proto.rawValue) \(app.edgeAddress.map { "\($0)" } ?? "every address") ports \(app.ports) via TPROXY to port \(listener.port) → \(app.origins.count) origin(s)")
        } catch {
            notServed(app, "cannot open the transparent socket for ports \(app.ports): \(error)")
        }
    }

    private func notServed(_ app: SpectrumApp, _ reason: String) {
        unserved.withLock { $0[app.id] = reason }
        logger.error("app \(app.name) (\(app.id)) not served: \(reason)")
    }

    /// Points the TPROXY table at the ranged apps' sockets; removes it with the last of them.
    private func programRanges() {
        let ranged = running.withLock { running in
            running.values.filter { $0.runtime.app.ports.count > 1 }
        }
        let ruleset = TProxyRuleset(entries: ranged.map { listener in
            let app = listener.runtime.app
            return TProxyRuleset.Entry(appID: app.id, proto: app.proto, edgeAddress: app.edgeAddress, ports: app.ports, socketPort: listener.port)
        })
        let previous = programmed.withLock { $0 }
        if previous == ruleset { return }
        if ruleset.entries.isEmpty {
            // Without the rights there is nothing of ours to remove.
            if previous != nil || rangeSupport() == nil { routing.remove() }
            programmed.withLock { $0 = ruleset }
            return
        }
        do {
            try routing.load(ruleset, logger: logger)
            programmed.withLock { $0 = ruleset }
        } catch {
            for listener in ranged { notServed(listener.runtime.app, "cannot program nftables TPROXY for the range: \(error)") }
        }
    }

    /// Waits for shutdown, then stops every listener and removes the TPROXY table and routing.
    package func run() async throws {
        try? await gracefulShutdown()
        let listeners = running.withLock { running in defer { running = [:] }; return Array(running.values) }
        for listener in listeners { await listener.stop() }
        if programmed.withLock({ $0.map { !$0.entries.isEmpty } ?? false }) { routing.remove() }
        programmed.withLock { $0 = nil }
    }

    /// The apps of the last config this edge does not serve, by id, with the reason.
    package var unservedApps: [String: String] { unserved.withLock { $0 } }

    private func drain(_ listener: Listener) async {
        await listener.stop()
        let runtime = listener.runtime
        logger.notice("app \(runtime.app.name) removed: draining \(runtime.openConnections) connection(s) for \(drainTime)")
        let wait = drainTime
        Task {
            try? await Task.sleep(for: wait)
            runtime.closeAll()
        }
    }

    private func queue(_ event: ProxyEvent) {
        events.withLock { queued in
            if queued.count >= maxQueued {
                queued.removeFirst(queued.count - maxQueued + 1)
                dropped.add(1, ordering: .relaxed)
            }
            queued.append(event)
        }
    }

    package func drainEvents() -> [ProxyEvent] {
        events.withLock { queued in defer { queued = [] }; return queued }
    }

    /// The apps this edge serves now, for the BGP announcement policy.
    package var servedApps: [SpectrumApp] {
        running.withLock { $0.values.map(\.runtime.app) }
    }

    package func metricsText() -> String {
        let apps = running.withLock { $0.values.map(\.runtime) }
        var lines = [
            "# HELP moat_edge_proxy_connections Open connections (TCP) and sessions (UDP) per app.",
            "# TYPE moat_edge_proxy_connections gauge",
        ]
        for runtime in apps { lines.append("moat_edge_proxy_connections{app=\"\(runtime.app.id)\"} \(runtime.openConnections)") }
        lines += ["# HELP moat_edge_proxy_healthy_origins Origins an app considers healthy.", "# TYPE moat_edge_proxy_healthy_origins gauge"]
        for runtime in apps { lines.append("moat_edge_proxy_healthy_origins{app=\"\(runtime.app.id)\"} \(runtime.originHealth.filter { $0 }.count)") }
        lines += ["# HELP moat_edge_proxy_udp_dropped_total Datagrams dropped: session tables full, access refused.",
                  "# TYPE moat_edge_proxy_udp_dropped_total counter"]
        for runtime in apps where runtime.app.proto == .udp {
            lines.append("moat_edge_proxy_udp_dropped_total{app=\"\(runtime.app.id)\"} \(runtime.droppedDatagrams.load(ordering: .relaxed))")
        }
        lines += ["# HELP moat_edge_proxy_app_unserved Apps of the config this edge cannot serve (1), with the reason.",
                  "# TYPE moat_edge_proxy_app_unserved gauge"]
        for (id, reason) in unservedApps.sorted(by: { $0.key < $1.key }) {
            let escaped = reason.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            lines.append("moat_edge_proxy_app_unserved{app=\"\(id)\",reason=\"\(escaped)\"} 1")
        }
        lines += ["# HELP moat_edge_proxy_stray_total Connections and datagrams to a transparent socket's own port, refused.",
                  "# TYPE moat_edge_proxy_stray_total counter"]
        for runtime in apps where runtime.app.ports.count > 1 {
            lines.append("moat_edge_proxy_stray_total{app=\"\(runtime.app.id)\"} \(runtime.strays.load(ordering: .relaxed))")
        }
        lines += ["# HELP moat_edge_proxy_events_dropped_total Event records dropped before core took them.",
                  "# TYPE moat_edge_proxy_events_dropped_total counter", "moat_edge_proxy_events_dropped_total \(dropped.load(ordering: .relaxed))"]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A data-plane part whose connections end in Spectrum events for core.
package protocol ProxyEventSource: Sendable {
    /// The events since the last call.
    func drainEvents() -> [ProxyEvent]
    /// Apps of the config not served here, by id, with the reason.
    var unservedApps: [String: String] { get }
}
