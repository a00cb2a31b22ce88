import Foundation
import LinuxNet
import Logging
import MoatModel
import Synchronization
import Tunnels

/// Programs the userspace GRE data path from the config: tunnels and routes into the
/// forwarding table, route prefixes into the kernel (through the TUN device), and the TCP MSS
/// clamp into nftables. Its probes' summaries and state changes go to core as telemetry.
package final class TunnelApplier: ConfigApplier, TunnelHealthSource, MetricsTextSource {
    package let name = "tunnels"
    package static let defaultDevice = "moat-gre"
    private let device: String
    private let logger: Logger
    private let changes: AsyncStream<TunnelStateChange>
    private let continuation: AsyncStream<TunnelStateChange>.Continuation
    private let dataPath = Mutex<GREDataPath?>(nil)
    private let lastReport = Mutex(Date())
    private let lastSkipped = Mutex<Set<String>>([])
    private let nft = Nft()

    /// With `openNow`, opens the TUN device and raw sockets at once (needs root), so a missing
    /// capability fails at start; otherwise on the first config that has tunnels.
    package init(device: String = TunnelApplier.defaultDevice, openNow: Bool, logger: Logger) throws {
        (changes, continuation) = AsyncStream.makeStream(of: TunnelStateChange.self, bufferingPolicy: .bufferingNewest(10_000))
        self.device = device
        self.logger = logger
        if openNow { _ = try opened() }
    }

    /// The data path, opened (with its kernel settings) on first use.
    private func opened() throws -> GREDataPath {
        if let running = dataPath.withLock({ $0 }) { return running }
        let logger = logger
        let continuation = continuation
        let path = try GREDataPath(deviceName: device) { change in
            logger.notice("tunnel \(change.tunnelID): \(change.from.rawValue) → \(change.to.rawValue)")
            continuation.yield(change)
        }
        try IPRoute.setLink(device, mtu: TunnelSpec.maximumMTU)
        // Decapsulated traffic leaves through other interfaces; replies to it come back here.
        try IPRoute.setSysctl("net.ipv4.conf.\(device).rp_filter", "0")
        try IPRoute.setSysctl("net.ipv4.ip_forward", "1")
        try? IPRoute.setSysctl("net.ipv6.conf.all.forwarding", "1")
        logger.notice("GRE data path running on \(device)")
        dataPath.withLock { $0 = path }
        return path
    }

    package var counters: GRECounters? { dataPath.withLock { $0?.counters } }

    /// Each tunnel's state as the probes see it; nil while the data path is not running.
    package var tunnelStates: [String: TunnelState]? { dataPath.withLock { $0?.states } }

    package func prepare(_ config: EdgeConfig) async throws {
        _ = try clampRuleset(config)
    }

    package func commit(_ config: EdgeConfig) async throws {
        guard !config.tunnels.isEmpty || dataPath.withLock({ $0 != nil }) else { return }
        let dataPath = try opened()
        let tunnels = held(config.tunnels)
        let prefixes = dataPath.configure(tunnels: tunnels, routes: config.routes)
        let smallest = tunnels.map(\.mtu).min() ?? TunnelSpec.maximumMTU
        try IPRoute.setLink(device, mtu: smallest)
        let wanted = Set(prefixes.map(\.description))
        let present = Set(try IPRoute.routes(device: device))
        for prefix in wanted.subtracting(present).sorted() { try IPRoute.replaceRoute(prefix, device: device) }
        for prefix in present.subtracting(wanted).sorted() { try IPRoute.deleteRoute(prefix, device: device) }
        try nft.load(try clampRuleset(config))
    }

    /// The tunnels whose Moat endpoint is an address of this edge: those it can send from and
    /// receive on. With an anycast endpoint on every edge that is all of them; a tunnel to
    /// another location's unicast address is that location's to run and probe.
    private func held(_ tunnels: [Tunnel]) -> [Tunnel] {
        let local = LocalAddresses.ipv4()
        let (mine, others) = tunnels.reduce(into: ([Tunnel](), [Tunnel]())) { split, tunnel in
            if case .v4(let address) = tunnel.moatEndpoint, local.contains(address) { split.0.append(tunnel) } else { split.1.append(tunnel) }
        }
        let skipped = Set(others.map { "\($0.name) (\($0.moatEndpoint))" })
        let before = lastSkipped.withLock { last in defer { last = skipped }; return last }
        if skipped != before && !skipped.isEmpty {
            logger.notice("not running tunnels whose Moat endpoint is no address of this edge: \(skipped.sorted().joined(separator: ", "))")
        }
        return mine
    }

    /// TCP MSS clamped to the smallest tunnel MTU − 40, both ways through the TUN device; and no
    /// ICMP protocol-unreachable answers to GRE (the kernel has no GRE module of its own).
    func clampRuleset(_ config: EdgeConfig) throws -> String {
        let mss = (config.tunnels.map(\.mtu).min() ?? TunnelSpec.maximumMTU) - 40
        return """
        table inet moat_gre
        delete table inet moat_gre
        table inet moat_gre {
        \tchain forward {
        \t\ttype filter hook forward priority mangle; policy accept;
        \t\toifname "\(device)" tcp flags syn tcp option maxseg size > \(mss) tcp option maxseg size set \(mss)
        \t\tiifname "\(device)" tcp flags syn tcp option maxseg size > \(mss) tcp option maxseg size set \(mss)
        \t}
        \tchain output {
        \t\ttype filter hook output priority filter; policy accept;
        \t\ticmp type destination-unreachable icmp code prot-unreachable drop
        \t}
        }

        """
    }

    package func healthSamples() -> [TunnelHealthSample] {
        let now = Date()
        let start = lastReport.withLock { last in defer { last = now }; return last }
        return dataPath.withLock { $0 }?.drainSamples(start: start, end: now) ?? []
    }

    package var stateChanges: AsyncStream<TunnelStateChange> { changes }

    /// The data path's counters and each tunnel's state, in the Prometheus text format.
    package func metricsText() -> String {
        guard let path = dataPath.withLock({ $0 }) else { return "" }
        let counters = path.counters
        var lines = [
            "# HELP moat_edge_gre_packets_total Packets through the userspace GRE data path.",
            "# TYPE moat_edge_gre_packets_total counter",
            "moat_edge_gre_packets_total{direction=\"encapsulated\"} \(counters.encapsulated.load(ordering: .relaxed))",
            "moat_edge_gre_packets_total{direction=\"decapsulated\"} \(counters.decapsulated.load(ordering: .relaxed))",
            "# HELP moat_edge_gre_bytes_total Inner bytes through the userspace GRE data path.",
            "# TYPE moat_edge_gre_bytes_total counter",
            "moat_edge_gre_bytes_total{direction=\"encapsulated\"} \(counters.encapsulatedBytes.load(ordering: .relaxed))",
            "moat_edge_gre_bytes_total{direction=\"decapsulated\"} \(counters.decapsulatedBytes.load(ordering: .relaxed))",
            "# HELP moat_edge_gre_dropped_total Packets dropped: malformed or unexpected GRE, no route, failed sends.",
            "# TYPE moat_edge_gre_dropped_total counter",
        ]
        for reason in GREPacket.DropReason.allCases {
            lines.append("moat_edge_gre_dropped_total{reason=\"\(reason.rawValue)\"} \(counters.dropped(reason))")
        }
        lines.append("moat_edge_gre_dropped_total{reason=\"no_route\"} \(counters.noRoute.load(ordering: .relaxed))")
        lines.append("moat_edge_gre_dropped_total{reason=\"send_error\"} \(counters.sendErrors.load(ordering: .relaxed))")
        lines += [
            "# HELP moat_edge_tunnel_probes_total Health probes sent and answers received.",
            "# TYPE moat_edge_tunnel_probes_total counter",
            "moat_edge_tunnel_probes_total{kind=\"sent\"} \(counters.probesSent.load(ordering: .relaxed))",
            "moat_edge_tunnel_probes_total{kind=\"answered\"} \(counters.probeAnswers.load(ordering: .relaxed))",
            "# HELP moat_edge_tunnel_state Each tunnel's health as this edge sees it: 0 healthy, 1 degraded, 2 down.",
            "# TYPE moat_edge_tunnel_state gauge",
        ]
        for (tunnel, state) in path.states.sorted(by: { $0.key < $1.key }) {
            let value = state == .healthy ? 0 : state == .degraded ? 1 : 2
            lines.append("moat_edge_tunnel_state{tunnel=\"\(tunnel)\"} \(value)")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A data-plane part with metrics of its own, appended to the edge's `/metrics`.
package protocol MetricsTextSource: Sendable {
    func metricsText() -> String
}

/// A data-plane part whose probes report tunnel health.
package protocol TunnelHealthSource: Sendable {
    /// Per-tunnel summaries since the last call.
    func healthSamples() -> [TunnelHealthSample]
    /// State changes as they happen, to report at once.
    var stateChanges: AsyncStream<TunnelStateChange> { get }
}
