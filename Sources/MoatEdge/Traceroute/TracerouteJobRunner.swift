import Foundation
import LinuxNet
import Logging
import MoatModel
import Traceroute

/// Runs one traceroute job on this edge: checks every target against the config (an edge traces
/// only addresses of the accounts it serves, whatever core asks), traces the rest on raw sockets
/// on a thread of its own, and posts each target's hops as soon as it finishes.
struct TracerouteJobRunner: Sendable {
    let job: EdgeTracerouteJob
    let policy: TracerouteTargetPolicy?
    /// The tunnels of the running config: a `gre` trace goes through the one to its target.
    let tunnels: [Tunnel]
    let asn: ASNResolver
    let post: @Sendable (EdgeTracerouteReport) async throws -> Void
    let logger: Logger

    /// Time kept back from the job's deadline to post the last results.
    static let postingMargin: TimeInterval = 2

    func run() async {
        var flows: [TraceFlow] = []
        var inside: [TraceFlow: TraceTunnel] = [:]
        var refused: [EdgeTracerouteReport.TargetResult] = []
        for target in job.targets {
            guard policy?.allows(target, packetType: job.options.packetType) == true else {
                let error = job.options.packetType == .gre ? "not the customer endpoint of a tunnel this edge serves"
                    : "not an address of an account this edge serves"
                refused.append(.init(target: target, reached: false, hops: [], error: error))
                continue
            }
            guard SystemUser.isRoot else {
                refused.append(.init(target: target, reached: false, hops: [], error: "the edge agent needs root for raw sockets"))
                continue
            }
            if job.options.packetType == .gre {
                guard let (flow, tunnel) = Self.greFlow(to: target, through: tunnels) else {
                    refused.append(.init(target: target, reached: false, hops: [], error: "no IPv4 tunnel has this customer endpoint"))
                    continue
                }
                flows.append(flow)
                inside[flow] = tunnel
                continue
            }
            do {
                flows += try TraceRunner.flows(targets: [target], options: job.options, random: { UInt16.random(in: 0...UInt16.max) })
            } catch {
                refused.append(.init(target: target, reached: false, hops: [], error: "no route: \(error)"))
            }
        }
        if !refused.isEmpty { await send(refused) }
        guard !flows.isEmpty else { return }

        let seconds = max(1, job.deadline.timeIntervalSinceNow - Self.postingMargin)
        let deadline = TraceRunner.now() + UInt64(seconds * 1e9)
        let traced = flows
        let runner = TraceRunner(flows: traced, options: job.options, tunnels: inside)
        let (results, sink) = AsyncStream.makeStream(of: EdgeTracerouteReport.TargetResult.self)
        let thread = Thread {
            var reported: Set<IPAddress> = []
            do {
                try runner.run(deadline: deadline) { flow, trace in
                    reported.insert(flow.destination)
                    let hops = HopAggregator.hops(trace.outcome, flow: flow)
                    sink.yield(.init(target: flow.destination, reached: trace.reached, hops: hops))
                }
            } catch {
                for flow in traced where !reported.contains(flow.destination) {
                    sink.yield(.init(target: flow.destination, reached: false, hops: [], error: "tracing failed: \(error)"))
                }
            }
            sink.finish()
        }
        thread.name = "traceroute \(job.id)"
        thread.start()
        for await result in results {
            var result = result
            result.hops = asn.annotate(result.hops)
            logger.info("traceroute finished", metadata: ["job": "\(job.id)", "target": "\(result.target)", "hops": "\(result.hops.count)",
                                                         "reached": "\(result.reached)"])
            await send([result])
        }
    }

    /// The GRE flow to a customer endpoint through the first of its tunnels (by name): from the
    /// tunnel's Moat endpoint, with the echo inside going between the interface address's sides.
    static func greFlow(to target: IPAddress, through tunnels: [Tunnel]) -> (TraceFlow, TraceTunnel)? {
        for tunnel in tunnels.sorted(by: { $0.name < $1.name }) where tunnel.customerEndpoint == target {
            guard case .v4(let customer) = tunnel.customerEndpoint, case .v4(let moat) = tunnel.moatEndpoint,
                  case .v4(let edgeSide) = tunnel.edgeAddress, case .v4(let customerSide) = tunnel.customerAddress else { continue }
            return (TraceRunner.greFlow(moatEndpoint: moat, customerEndpoint: customer), TraceTunnel(innerSource: edgeSide, innerDestination: customerSide))
        }
        return nil
    }

    /// Posts, trying again a few times: core counts a repeated report once.
    func send(_ results: [EdgeTracerouteReport.TargetResult]) async {
        for attempt in 1...3 {
            do {
                return try await post(EdgeTracerouteReport(results: results))
            } catch {
                logger.warning("traceroute results not sent", metadata: ["job": "\(job.id)", "attempt": "\(attempt)", "error": "\(error)"])
                try? await Task.sleep(for: .milliseconds(300 * attempt))
            }
        }
    }
}
