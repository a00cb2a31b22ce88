import Foundation
import LinuxNet
import Logging
import MoatModel
import Synchronization
import Tunnels

/// Programs the userspace GRE data path from the config: tunnels and routes into the
/// forwarding table, route prefixes into the kernel (through the TUN device), and the TCP MSS
/// clamp into nftables. Its probes' summaries and state changes go to core as telemetry.
package final class TunnelApplier: ConfigApplier, TunnelHealthSource {
    package let name = "tunnels"
    package static let defaultDevice = "moat-gre"
    private let device: String
    private let logger: Logger
    private let changes: AsyncStream<TunnelStateChange>
    private let continuation: AsyncStream<TunnelStateChange>.Continuation
    private let dataPath = Mutex<GREDataPath?>(nil)
    private let lastReport = Mutex(Date())
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

    package func prepare(_ config: EdgeConfig) async throws {
        _ = try clampRuleset(config)
    }

    package func commit(_ config: EdgeConfig) async throws {
        guard !config.tunnels.isEmpty || dataPath.withLock({ $0 != nil }) else { return }
        let dataPath = try opened()
        dataPath.configure(tunnels: config.tunnels, routes: config.routes)
        let smallest = config.tunnels.map(\.mtu).min() ?? TunnelSpec.maximumMTU
        try IPRoute.setLink(device, mtu: smallest)
        let wanted = Set(ForwardingTable(tunnels: config.tunnels, routes: config.routes).prefixes.map(\.description))
        let present = Set(try IPRoute.routes(device: device))
        for prefix in wanted.subtracting(present).sorted() { try IPRoute.replaceRoute(prefix, device: device) }
        for prefix in present.subtracting(wanted).sorted() { try IPRoute.deleteRoute(prefix, device: device) }
        try nft.load(try clampRuleset(config))
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
}

/// A data-plane part whose probes report tunnel health.
package protocol TunnelHealthSource: Sendable {
    /// Per-tunnel summaries since the last call.
    func healthSamples() -> [TunnelHealthSample]
    /// State changes as they happen, to report at once.
    var stateChanges: AsyncStream<TunnelStateChange> { get }
}
