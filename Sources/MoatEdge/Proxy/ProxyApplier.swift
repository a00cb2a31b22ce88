import Foundation
import Logging
import MoatModel
import NIOCore
import NIOPosix
import Proxy
import Synchronization

/// Runs the location's Spectrum apps on this edge: a listener per app, changed apps updated in
/// place (open connections keep going), removed apps drained (no new connections; open ones
/// get `drainTime`, then close). Finished connections go to core with the telemetry.
package final class ProxyApplier: ConfigApplier, MetricsTextSource, ProxyEventSource {
    package let name = "proxy"

    private enum Listener {
        case tcp(TCPProxyListener)
        case udp(UDPProxyListener)

        var runtime: AppRuntime {
            switch self {
            case .tcp(let listener): return listener.runtime
            case .udp(let listener): return listener.runtime
            }
        }

        func stop() async {
            switch self {
            case .tcp(let listener): await listener.stop()
            case .udp(let listener): await listener.stop()
            }
        }
    }

    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let drainTime: Duration
    private let running = Mutex<[String: Listener]>([:])
    private let events = Mutex<[ProxyEvent]>([])
    private let dropped = Atomic<Int>(0)
    /// Events kept for core at most; beyond that the oldest go (and are counted).
    private let maxQueued = 100_000

    package init(threads: Int = System.coreCount, drainTime: Duration = .seconds(30), logger: Logger) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        self.drainTime = drainTime
        self.logger = logger
    }

    package func prepare(_ config: EdgeConfig) async throws {
        for app in config.apps where app.ports.count != 1 {
            throw ApplyError(part: name, reason: "app \(app.name) (\(app.id)): port ranges (\(app.ports)) need nftables TPROXY, which this edge does not program yet")
        }
    }

    package func commit(_ config: EdgeConfig) async throws {
        let wanted = Dictionary(config.apps.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let current = running.withLock { $0 }
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
    }

    private func start(_ app: SpectrumApp) async throws {
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
        lines += ["# HELP moat_edge_proxy_events_dropped_total Event records dropped before core took them.",
                  "# TYPE moat_edge_proxy_events_dropped_total counter", "moat_edge_proxy_events_dropped_total \(dropped.load(ordering: .relaxed))"]
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A data-plane part whose connections end in Spectrum events for core.
package protocol ProxyEventSource: Sendable {
    /// The events since the last call.
    func drainEvents() -> [ProxyEvent]
}
