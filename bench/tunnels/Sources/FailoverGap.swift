import Foundation
import NetLab

#if canImport(Glibc)
import Glibc
#endif

/// How long a 1,000 datagrams/s stream stops when the tunnel carrying it dies.
///
/// Each round cuts the tunnel that carries the stream (dropping its GRE on the customer side),
/// waits until the other one carries it, restores the cut one and waits until the health API
/// no longer says it is down. So rounds alternate between the two tunnels and never wait out
/// a recovery window. The gap is read afterwards from the receiver's record: the longest run
/// of lost datagrams that began around the cut, from the last datagram sent that arrived to
/// the next one sent that did.
enum FailoverGap {
    static let port = 9000

    static func measure(_ net: TunnelLab, rounds: Int) throws -> [Double] {
        let lab = net.lab
        let receiver = try lab.startStreamReceiver(in: net.origin, port: port, seconds: Double(rounds) * 40 + 30)
        let sender = try lab.startStreamSender(in: net.client, to: TunnelLab.originAddress, port: port,
                                               rate: 1000, count: (rounds * 40 + 20) * 1000)
        defer { sender.stop() }
        sleep(1)
        var cuts: [Int64] = []
        for _ in 0..<rounds {
            let carrying = try carrier(net)
            let other = net.tunnels.first { $0 != carrying }!
            let cutAt = wallClockNanos()
            try net.cut(carrying)
            let atCut = try net.counters()
            try net.waitUntil("the stream leaves \(carrying.name)", timeout: .seconds(15), process: net.core) {
                try net.counters().carried(other) > atCut.carried(other) + 20
            }
            cuts.append(cutAt)
            sleep(1)
            try net.restore(carrying)
            try net.waitUntil("\(carrying.name) is no longer down", timeout: .seconds(20), process: net.core) {
                (try net.healthStates()[carrying.number]).map { $0 != "down" } ?? false
            }
            usleep(500_000)
        }
        sender.stop()
        usleep(300_000)
        let trace = try receiver.finish()
        return try cuts.map { cut in
            guard let gap = trace.largestGap(sentIn: (cut - 500_000_000)...(cut + 15_000_000_000)) else {
                throw BenchError("no datagram was lost around a cut: the cut did not cut")
            }
            return gap.seconds
        }
    }

    /// The tunnel that carried the most of the stream over 300 ms.
    static func carrier(_ net: TunnelLab) throws -> TunnelLab.Tunnel {
        let carried = try net.carriedDuring { usleep(300_000) }
        guard let (tunnel, count) = carried.max(by: { $0.value < $1.value }), count > 0 else {
            throw BenchError("no tunnel carries the stream: \(carried.map { "\($0.key.name)=\($0.value)" })")
        }
        return tunnel
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
