import LinuxNet
import MoatModel

#if canImport(Glibc)
import Glibc
#endif

/// Runs the traces of one job on raw sockets: one IPPROTO_RAW socket sends every probe (whole
/// packets, `IP_HDRINCL`), a raw ICMP socket (and in TCP mode a raw TCP socket) reads the answers.
/// Each socket sees every ICMP/TCP packet of the host; ``TraceReply`` and the traces' flows
/// decide what is whose. Blocking: run it on a thread of its own.
package struct TraceRunner: Sendable {
    package let flows: [TraceFlow]
    package let options: TracerouteOptions

    package init(flows: [TraceFlow], options: TracerouteOptions) {
        self.flows = flows
        self.options = options
    }

    /// Picks the flows of a job: the source address the routing table gives for each target,
    /// and identifiers (ICMP id or source port) that differ between the job's targets.
    package static func flows(targets: [UInt32], options: TracerouteOptions,
                              random: () -> UInt16) throws(SystemCallError) -> [TraceFlow] {
        var used: Set<UInt16> = []
        var flows: [TraceFlow] = []
        for target in targets {
            var identifier: UInt16
            // Source ports stay out of the well-known and registered-service ranges.
            repeat { identifier = 33000 &+ random() % 32000 } while used.contains(identifier)
            used.insert(identifier)
            flows.append(TraceFlow(packetType: options.packetType, source: try RouteSource.ipv4(toward: target), destination: target,
                                   identifier: identifier, port: UInt16(options.port ?? 0), sequenceHigh: random()))
        }
        return flows
    }

    /// Traces every flow until all finish or `deadline` (monotonic nanoseconds) passes; calls
    /// `finished` once per flow, in the order they finish.
    package func run(deadline: UInt64, finished: (TraceFlow, TraceStateMachine) -> Void) throws {
        let sender = try RawIPv4Socket(ipProtocol: Int32(IPPROTO_RAW), headerIncluded: true, receiveBuffer: 1 << 18)
        let icmp = try RawIPv4Socket(ipProtocol: Int32(IPPROTO_ICMP), headerIncluded: false, receiveBuffer: 1 << 20)
        let tcp = options.packetType == .tcp ? try RawIPv4Socket(ipProtocol: Int32(IPPROTO_TCP), headerIncluded: false, receiveBuffer: 1 << 20) : nil
        let receivers = [icmp] + (tcp.map { [$0] } ?? [])

        var traces: [TraceFlow: TraceStateMachine] = [:]
        for flow in flows { traces[flow] = TraceStateMachine(flow: flow, options: options, sendsPerStep: 1) }
        var done: Set<TraceFlow> = []

        func perform(_ actions: [TraceStateMachine.Action], _ flow: TraceFlow) throws {
            for action in actions {
                switch action {
                case .send(let number, let ttl):
                    let packet = TraceProbeEncoder.probe(flow, number: number, ttl: ttl)
                    do {
                        try packet.withUnsafeBytes { try sender.send($0, to: flow.destination) }
                    } catch let error as SystemCallError where [ENOBUFS, EHOSTUNREACH, ENETUNREACH].contains(error.errno) {
                        // The probe is lost like any other; the trace goes on.
                    }
                case .finished:
                    if done.insert(flow).inserted, let trace = traces[flow] { finished(flow, trace) }
                }
            }
        }

        for flow in flows { try perform(traces[flow]!.start(now: Self.now()), flow) }
        var buffer = [UInt8](repeating: 0, count: 2048)
        var sent = true
        while done.count < flows.count, Self.now() < deadline {
            // While probes are going out, only peek at the sockets between them, so an answer
            // that ends a trace stops it before it sends beyond the target; then wait up to 5 ms.
            let ready = try SocketPoll.readable(receivers.map(\.fd), timeout: sent ? 0 : 5)
            for socket in receivers where ready.contains(socket.fd) {
                // Drain what is queued, timing each answer as it is read.
                while true {
                    let count = try buffer.withUnsafeMutableBytes { try socket.receive(into: $0, pollTimeout: 0) }
                    guard count > 0 else { break }
                    let now = Self.now()
                    guard let reply = buffer.withUnsafeBytes({ TraceReply.parse(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }),
                          traces[reply.flow] != nil else { continue }
                    try perform(traces[reply.flow]!.receive(reply, now: now), reply.flow)
                }
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
