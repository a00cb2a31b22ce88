import Foundation
import LinuxNet
import MoatModel
import Synchronization

/// The edge's userspace GRE: the kernel routes protected prefixes into a TUN device; this
/// reads them, picks the tunnel (``ForwardingTable``) and sends them encapsulated through a
/// raw socket (protocol 47); what comes back is decapsulated and written to the TUN device,
/// except health probe answers, which go to the ``TunnelProber``.
///
/// Threads, not the task pool: each loop blocks in `poll`/`read`, one packet at a time.
package final class GREDataPath: Sendable {
    package let device: TunDevice
    package let counters = GRECounters()
    private let gre: GRESocket
    private let icmp: RawIPv4Socket
    private let forwarding = Mutex(Forwarding())
    private let prober = Mutex(TunnelProber())
    private let running = Atomic<Bool>(true)
    private let start = ContinuousClock.now
    private let onChange: @Sendable (TunnelStateChange) -> Void
    private let threads = Mutex<[Thread]>([])

    struct Forwarding: Sendable {
        var table = ForwardingTable(tunnels: [], routes: [])
        var penalties: [Int] = []
        var index: [String: Int] = [:]
    }

    /// Opens the TUN device and the raw sockets (needs CAP_NET_ADMIN and CAP_NET_RAW) and starts
    /// the loops. `onChange` is called, on a data-path thread, at every tunnel state change.
    package init(deviceName: String, onChange: @escaping @Sendable (TunnelStateChange) -> Void) throws {
        device = try TunDevice(name: deviceName)
        gre = try GRESocket(counters: counters)
        icmp = try RawIPv4Socket(ipProtocol: Int32(IPv4Header.protocolICMP), headerIncluded: true)
        self.onChange = onChange
        let loops: [(String, @Sendable () -> Void)] = [
            ("moat-gre-encap", { [unowned self] in self.encapsulationLoop() }),
            ("moat-gre-decap", { [unowned self] in self.decapsulationLoop() }),
            ("moat-gre-icmp", { [unowned self] in self.icmpLoop() }),
            ("moat-gre-probe", { [unowned self] in self.probeLoop() }),
        ]
        let started = loops.map { name, body in
            let thread = Thread { body() }
            thread.name = name
            return thread
        }
        threads.withLock { $0 = started }
        started.forEach { $0.start() }
    }

    /// Installs a new set of tunnels and routes, and returns the prefixes the kernel must route
    /// into the device. Probing of unchanged tunnels carries on.
    @discardableResult
    package func configure(tunnels: [Tunnel], routes: [Route]) -> [CIDR] {
        let table = ForwardingTable(tunnels: tunnels, routes: routes)
        let now = elapsed
        let states = prober.withLock { prober in
            prober.configure(tunnels.compactMap(TunnelProber.Target.init), at: now)
            return prober.states
        }
        forwarding.withLock { forwarding in
            forwarding.table = table
            forwarding.index = Dictionary(uniqueKeysWithValues: table.endpoints.enumerated().map { ($1.tunnelID, $0) })
            forwarding.penalties = table.endpoints.map { states[$0.tunnelID]?.penalty ?? 0 }
        }
        return table.prefixes
    }

    /// Each probed tunnel's current state.
    package var states: [String: TunnelState] { prober.withLock { $0.states } }

    /// The probe summaries since the last call.
    package func drainSamples(start: Date, end: Date) -> [TunnelHealthSample] {
        prober.withLock { $0.drainSamples(start: start, end: end) }
    }

    /// Stops the loops (within their poll timeout) and closes nothing else: the device and
    /// sockets close when the last reference goes.
    package func stop() {
        running.store(false, ordering: .relaxed)
    }

    private var elapsed: Duration { ContinuousClock.now - start }
    private var isRunning: Bool { running.load(ordering: .relaxed) }

    // MARK: - Loops

    private func encapsulationLoop() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_600, alignment: 8)
        defer { buffer.deallocate() }
        let inner = UnsafeMutableRawBufferPointer(rebasing: buffer[GREPacket.overhead...])
        while isRunning {
            guard let count = try? device.read(into: inner), count > 0 else { continue }
            let packet = UnsafeRawBufferPointer(rebasing: inner[0..<count])
            let (v4, v6) = FlowHash.destination(packet)
            let flow = FlowHash.of(packet)
            let chosen: ForwardingTable.Endpoint? = forwarding.withLock { forwarding in
                let selected: Int? = if let v4 { forwarding.table.select(v4: v4, flow: flow, penalties: forwarding.penalties) }
                    else if let v6 { forwarding.table.select(v6: v6, flow: flow, penalties: forwarding.penalties) } else { nil }
                return selected.map { forwarding.table.endpoints[$0] }
            }
            guard let endpoint = chosen else {
                counters.noRoute.add(1, ordering: .relaxed)
                continue
            }
            gre.send(buffer, innerLength: count, innerIsIPv6: v6 != nil, source: endpoint.moatEndpoint,
                     destination: endpoint.customerEndpoint, ttl: endpoint.ttl)
        }
    }

    private func decapsulationLoop() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_600, alignment: 8)
        defer { buffer.deallocate() }
        while isRunning {
            let received = gre.receive(into: buffer) { source, destination in
                forwarding.withLock { $0.table.tunnel(outerSource: source, outerDestination: destination) != nil }
            }
            guard let (inner, isIPv6) = received else { continue }
            if !isIPv6, let reply = ProbePacket.reply(inner) {
                handle(reply)
                continue
            }
            gre.deliver(inner, to: device)
        }
    }

    /// Answers of unidirectional probes arrive as plain ICMP over the underlay.
    private func icmpLoop() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 8)
        defer { buffer.deallocate() }
        while isRunning {
            guard let count = try? icmp.receive(into: buffer), count > 0 else { continue }
            if let reply = ProbePacket.reply(UnsafeRawBufferPointer(rebasing: buffer[0..<count])) { handle(reply) }
        }
    }

    private func probeLoop() {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: GREPacket.overhead + ProbePacket.length, alignment: 8)
        defer { buffer.deallocate() }
        let inner = UnsafeMutableRawBufferPointer(rebasing: buffer[GREPacket.overhead...])
        while isRunning {
            let now = elapsed
            let nanoseconds = UInt64(now.components.seconds) * 1_000_000_000 + UInt64(now.components.attoseconds / 1_000_000_000)
            let (probes, changes) = prober.withLock { $0.tick(at: now, clock: nanoseconds) }
            for change in changes { publish(change) }
            for probe in probes {
                guard let endpoint = forwarding.withLock({ forwarding in forwarding.index[probe.tunnelID].map { forwarding.table.endpoints[$0] } }) else { continue }
                probe.packet.write(to: inner)
                if gre.send(buffer, innerLength: ProbePacket.length, innerIsIPv6: false, source: endpoint.moatEndpoint,
                            destination: endpoint.customerEndpoint, ttl: endpoint.ttl, countAsTraffic: false) {
                    counters.probesSent.add(1, ordering: .relaxed)
                }
            }
            usleep(2_000)
        }
    }

    private func handle(_ reply: ProbePacket) {
        counters.probeAnswers.add(1, ordering: .relaxed)
        let now = elapsed
        if let change = prober.withLock({ $0.answered(reply, at: now) }) { publish(change) }
    }

    private func publish(_ change: TunnelProber.Change) {
        forwarding.withLock { forwarding in
            if let index = forwarding.index[change.tunnelID], index < forwarding.penalties.count {
                forwarding.penalties[index] = change.transition.to.penalty
            }
        }
        onChange(TunnelStateChange(tunnelID: change.tunnelID, at: Date(), from: change.transition.from, to: change.transition.to))
    }
}
