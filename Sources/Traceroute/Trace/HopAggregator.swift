import Foundation
import MoatModel

/// Turns a trace's probe outcomes into hops: per TTL, probes sent and lost, and per answering
/// address its round-trip statistics. Pure.
package enum HopAggregator {
    package static func hops(_ probes: [TraceStateMachine.Probe], target: UInt32) -> [TracerouteHop] {
        hops(probes, target: .v4(target))
    }

    /// The hops of a trace of `flow`: its destination is the target, its packet type says which
    /// answers reach it.
    package static func hops(_ probes: [TraceStateMachine.Probe], flow: TraceFlow) -> [TracerouteHop] {
        hops(probes, target: flow.destination, packetType: flow.packetType)
    }

    package static func hops(_ probes: [TraceStateMachine.Probe], target: IPAddress,
                             packetType: TracerouteOptions.PacketType = .icmp) -> [TracerouteHop] {
        let byTTL = Dictionary(grouping: probes, by: \.ttl)
        return byTTL.keys.sorted().map { ttl in
            let sent = byTTL[ttl]!.sorted { $0.number < $1.number }
            var order: [IPAddress] = []
            var rtts: [IPAddress: [Double]] = [:]
            var reached: Set<IPAddress> = []
            for probe in sent {
                guard let answer = probe.answer else { continue }
                if rtts[answer.responder] == nil { order.append(answer.responder) }
                rtts[answer.responder, default: []].append(Double(answer.rttNanos) / 1_000_000)
                if answer.kind.reaches(for: packetType) && answer.responder == target { reached.insert(answer.responder) }
            }
            let nodes = order.map { address in
                node(address: address, rtts: rtts[address]!, reached: reached.contains(address))
            }
            let answered = nodes.reduce(0) { $0 + $1.answered }
            return TracerouteHop(ttl: ttl, sent: sent.count, lost: sent.count - answered, nodes: nodes)
        }
    }

    /// Minimum, mean, maximum and population standard deviation of `rtts` (milliseconds).
    package static func node(address: IPAddress, rtts: [Double], reached: Bool) -> TracerouteNode {
        let mean = rtts.reduce(0, +) / Double(rtts.count)
        let variance = rtts.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(rtts.count)
        return TracerouteNode(address: address, answered: rtts.count, rttMin: rtts.min()!, rttMean: mean, rttMax: rtts.max()!,
                              rttStddev: variance.squareRoot(), reached: reached)
    }
}
