import LinuxNet
import MoatModel
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Runs the traces of one job on raw sockets: an IPPROTO_RAW socket per address family sends
/// every probe (whole packets), raw ICMP and ICMPv6 sockets (and in TCP mode raw TCP sockets, in
/// GRE mode a raw GRE socket) read the answers. Each socket sees every such packet of the host;
/// ``TraceReply`` and the traces' flows decide what is whose. Blocking: run it on a thread of its own.
package struct TraceRunner: Sendable {
    package let flows: [TraceFlow]
    package let options: TracerouteOptions
    /// The inside of each GRE flow's probes.
    package let tunnels: [TraceFlow: TraceTunnel]

    package init(flows: [TraceFlow], options: TracerouteOptions, tunnels: [TraceFlow: TraceTunnel] = [:]) {
        self.flows = flows
        self.options = options
        self.tunnels = tunnels
    }

    /// Picks the flows of an ICMP, UDP or TCP job: the source address the routing table gives
    /// for each target, and identifiers (ICMP id or source port) that differ between the job's
    /// targets. (A GRE flow's source is its tunnel's Moat endpoint: ``greFlow(moatEndpoint:customerEndpoint:)``.)
    package static func flows(targets: [IPAddress], options: TracerouteOptions,
                              random: () -> UInt16) throws(SystemCallError) -> [TraceFlow] {
        precondition(options.packetType != .gre, "GRE flows go through a tunnel: use greFlow")
        var used: Set<UInt16> = []
        var flows: [TraceFlow] = []
        for target in targets {
            var identifier: UInt16
            // Source ports stay out of the well-known and registered-service ranges.
            repeat { identifier = 33000 &+ random() % 32000 } while used.contains(identifier)
            used.insert(identifier)
            let source: IPAddress
            switch target {
            case .v4(let address): source = .v4(try RouteSource.ipv4(toward: address))
            case .v6(let address): source = .v6(try RouteSource.ipv6(toward: address))
            }
            flows.append(TraceFlow(packetType: options.packetType, source: source, destination: target,
                                   identifier: identifier, port: UInt16(options.port ?? 0), sequenceHigh: random()))
        }
        return flows
    }

    /// GRE tags in use go round this process, so traces that run at once never share one
    /// (there are ``TraceProbeEncoder/greTags`` of them).
    private static let lastTag = Atomic<UInt16>(0)

    /// The flow of a GRE trace through a tunnel: from its Moat endpoint to its customer endpoint.
    package static func greFlow(moatEndpoint: UInt32, customerEndpoint: UInt32) -> TraceFlow {
        let tag = lastTag.add(1, ordering: .relaxed).newValue % TraceProbeEncoder.greTags
        return TraceFlow(packetType: .gre, source: moatEndpoint, destination: customerEndpoint, identifier: tag)
    }

    /// Traces every flow until all finish or `deadline` (monotonic nanoseconds) passes; calls
    /// `finished` once per flow, in the order they finish.
    package func run(deadline: UInt64, finished: (TraceFlow, TraceStateMachine) -> Void) throws {
        let sockets = try Sockets(flows: flows, packetType: options.packetType)
        var traces: [TraceFlow: TraceStateMachine] = [:]
        for flow in flows { traces[flow] = TraceStateMachine(flow: flow, options: options, sendsPerStep: 1) }
        var done: Set<TraceFlow> = []

        func perform(_ actions: [TraceStateMachine.Action], _ flow: TraceFlow) throws {
            for action in actions {
                switch action {
                case .send(let number, let ttl):
                    let packet = TraceProbeEncoder.probe(flow, number: number, ttl: ttl, tunnel: tunnels[flow])
                    do {
                        try sockets.send(packet, to: flow.destination)
                    } catch let error as SystemCallError where [ENOBUFS, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL].contains(error.errno) {
                        // The probe is lost like any other; the trace goes on.
                    }
                case .finished:
                    if done.insert(flow).inserted, let trace = traces[flow] { finished(flow, trace) }
                }
            }
        }

        for flow in flows { try perform(traces[flow]!.start(now: Self.now()), flow) }
        var sent = true
        while done.count < flows.count, Self.now() < deadline {
            // While probes are going out, only peek at the sockets between them, so an answer
            // that ends a trace stops it before it sends beyond the target; then wait up to 5 ms.
            let ready = try SocketPoll.readable(sockets.receiving, timeout: sent ? 0 : 5)
            try sockets.drain(ready) { reply, now in
                guard traces[reply.flow] != nil else { return }
                try perform(traces[reply.flow]!.receive(reply, now: now), reply.flow)
            }
            let now = Self.now()
            sent = false
            for flow in flows where !done.contains(flow) {
                let actions = traces[flow]!.tick(now: now)
                if actions.contains(where: { if case .send = $0 { return true } else { return false } }) { sent = true }
                try perform(actions, flow)
            }
        }
        for flow in flows where !done.contains(flow) {
            traces[flow]!.stop()
            finished(flow, traces[flow]!)
        }
    }

    /// CLOCK_MONOTONIC in nanoseconds.
    package static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
