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
    let asn: ASNResolver
    let post: @Sendable (EdgeTracerouteReport) async throws -> Void
    let logger: Logger

    /// Time kept back from the job's deadline to post the last results.
    static let postingMargin: TimeInterval = 2

    func run() async {
        var flows: [TraceFlow] = []
        var refused: [EdgeTracerouteReport.TargetResult] = []
        for target in job.targets {
            guard case .v4(let address) = target else {
                refused.append(.init(target: target, reached: false, hops: [], error: "IPv6 traceroutes are not supported yet"))
                continue
            }
            guard policy?.allows(target) == true else {
                refused.append(.init(target: target, reached: false, hops: [], error: "not an address of an account this edge serves"))
                continue
            }
            guard SystemUser.isRoot else {
                refused.append(.init(target: target, reached: false, hops: [], error: "the edge agent needs root for raw sockets"))
                continue
            }
            do {
                flows += try TraceRunner.flows(targets: [address], options: job.options, random: { UInt16.random(in: 0...UInt16.max) })
            } catch {
                refused.append(.init(target: target, reached: false, hops: [], error: "no route: \(error)"))
            }
        }
        if !refused.isEmpty { await send(refused) }
        guard !flows.isEmpty else { return }

        let seconds = max(1, job.deadline.timeIntervalSinceNow - Self.postingMargin)
        let deadline = TraceRunner.now() + UInt64(seconds * 1e9)
        let traced = flows
        let runner = TraceRunner(flows: traced, options: job.options)
        let (results, sink) = AsyncStream.makeStream(of: EdgeTracerouteReport.TargetResult.self)
        let thread = Thread {
            var reported: Set<UInt32> = []
            do {
                try runner.run(deadline: deadline) { flow, trace in
                    reported.insert(flow.destination)
                    let hops = HopAggregator.hops(trace.outcome, target: flow.destination)
                    sink.yield(.init(target: .v4(flow.destination), reached: trace.reached, hops: hops))
                }
            } catch {
                for flow in traced where !reported.contains(flow.destination) {
                    sink.yield(.init(target: .v4(flow.destination), reached: false, hops: [], error: "tracing failed: \(error)"))
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
