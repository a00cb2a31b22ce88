import Foundation
import NetLab

#if canImport(Glibc)
import Glibc
#endif

/// What health probes cost on the underlay: GRE packets and bytes per second per tunnel with
/// no other traffic, from the customer router's nftables counters (GRE to and from each
/// tunnel's endpoint).
enum ProbeOverhead {
    struct Sample {
        var rate: String
        /// Per tunnel: packets/s edge → customer, customer → edge, and bytes/s both ways.
        var perTunnel: [(tunnel: TunnelLab.Tunnel, toCustomer: Double, toEdge: Double, bytes: Double)]
    }

    static func measure(_ net: TunnelLab, rate: String, seconds: Double) throws -> Sample {
        let before = try net.counters()
        let start = ContinuousClock.now
        usleep(useconds_t(seconds * 1_000_000))
        let after = try net.counters()
        let elapsed = (ContinuousClock.now - start).seconds
        return Sample(rate: rate, perTunnel: net.tunnels.map { tunnel in
            let bytes = after.greInBytes(tunnel) - before.greInBytes(tunnel) + after.greOutBytes(tunnel) - before.greOutBytes(tunnel)
            return (tunnel, Double(after.greIn(tunnel) - before.greIn(tunnel)) / elapsed,
                    Double(after.greOut(tunnel) - before.greOut(tunnel)) / elapsed, Double(bytes) / elapsed)
        })
    }

    static func print(_ samples: [Sample], seconds: Double) {
        Swift.print("2. Probe overhead on the underlay, no traffic: GRE per tunnel over \(String(format: "%.0f", seconds)) s (nft counters on the customer router)")
        Swift.print("   " + pad("probe rate", 12) + pad("tunnel", 8) + pad("edge → customer", 18, right: true)
                    + pad("customer → edge", 18, right: true) + pad("bytes/s both ways", 20, right: true))
        for sample in samples {
            for row in sample.perTunnel {
                Swift.print("   " + pad(sample.rate, 12) + pad(row.tunnel.name, 8)
                            + pad(String(format: "%.1f pkt/s", row.toCustomer), 18, right: true)
                            + pad(String(format: "%.1f pkt/s", row.toEdge), 18, right: true)
                            + pad(String(format: "%.0f", row.bytes), 20, right: true))
            }
        }
    }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
