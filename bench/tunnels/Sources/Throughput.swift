import Foundation
import LinuxNet
import NetLab

#if canImport(Glibc)
import Glibc
#endif

/// iperf3 TCP through a tunnel, both ways, and over the plain underlay veth as the ceiling,
/// with the CPU `moat up` (the edge) and `moat gre-endpoint` (the customer) used meanwhile.
enum Throughput {
    struct Run {
        var label: String
        var bitsPerSecond: Double
        var retransmits: Int
        /// Cores busy on average (CPU seconds per second) while iperf3 ran.
        var edgeCores: Double
        var customerCores: Double
    }

    static func measure(_ net: TunnelLab, seconds: Int) throws {
        guard let edgePID = net.core?.pid, let customerPID = net.endpoint?.pid else {
            throw BenchError("moat up and moat gre-endpoint must run before the throughput runs")
        }
        let runs = [
            try iperf(net, "plain underlay veth (ceiling)", server: net.customer, address: TunnelLab.customerUnderlayAddress,
                      client: net.edge, reverse: false, seconds: seconds, pids: (edgePID, customerPID)),
            try iperf(net, "GRE client → origin (edge encapsulates)", server: net.origin, address: TunnelLab.originAddress,
                      client: net.client, reverse: false, seconds: seconds, pids: (edgePID, customerPID)),
            try iperf(net, "GRE origin → client (edge decapsulates)", server: net.origin, address: TunnelLab.originAddress,
                      client: net.client, reverse: true, seconds: seconds, pids: (edgePID, customerPID)),
        ]
        print("3. Throughput: iperf3 TCP, \(seconds) s per run; CPU of the moat processes from /proc/PID/stat (cores busy on average)")
        print("   " + pad("path", 42) + pad("Gbit/s", 8, right: true) + pad("retr.", 8, right: true)
              + pad("edge CPU", 10, right: true) + pad("cust. CPU", 11, right: true) + pad("edge CPU/Gbit/s", 17, right: true)
              + pad("cust. CPU/Gbit/s", 18, right: true))
        for run in runs {
            let gbits = run.bitsPerSecond / 1e9
            print("   " + pad(run.label, 42) + pad(String(format: "%.2f", gbits), 8, right: true) + pad(String(run.retransmits), 8, right: true)
                  + pad(String(format: "%.2f", run.edgeCores), 10, right: true) + pad(String(format: "%.2f", run.customerCores), 11, right: true)
                  + pad(gbits > 0 ? String(format: "%.2f", run.edgeCores / gbits) : "-", 17, right: true)
                  + pad(gbits > 0 ? String(format: "%.2f", run.customerCores / gbits) : "-", 18, right: true))
        }
        if let ceiling = runs.first?.bitsPerSecond, ceiling > 0 {
            let shares = runs.dropFirst().map { String(format: "%.1f %%", $0.bitsPerSecond / ceiling * 100) }
            print("   through the tunnel: \(shares.joined(separator: " and ")) of the plain veth")
        }
    }

    static func iperf(
        _ net: TunnelLab, _ label: String, server: Namespace, address: String, client: Namespace,
        reverse: Bool, seconds: Int, pids: (edge: Int32, customer: Int32)
    ) throws -> Run {
        let lab = net.lab
        let listener = try lab.start(in: server, ["iperf3", "-s", "-1", "-B", address, "-p", "5201"])
        defer { listener.terminate(grace: .seconds(1)) }
        // Asked, not read from its log: iperf3 buffers what it prints to a file.
        try net.waitUntil("iperf3 listens in \(server.shortName)", timeout: .seconds(10), process: listener) {
            try lab.run(in: server, ["ss", "-ltnH", "sport = :5201"]).stdout.contains("5201")
        }
        let edgeBefore = ProcessCPU.seconds(pid: pids.edge) ?? 0
        let customerBefore = ProcessCPU.seconds(pid: pids.customer) ?? 0
        let start = ContinuousClock.now
        let result = try lab.run(in: client, ["iperf3", "-c", address, "-p", "5201", "-t", String(seconds), "-J"] + (reverse ? ["-R"] : []),
                                 timeout: .seconds(seconds + 30))
        let elapsed = (ContinuousClock.now - start).seconds
        let edgeCores = ((ProcessCPU.seconds(pid: pids.edge) ?? 0) - edgeBefore) / elapsed
        let customerCores = ((ProcessCPU.seconds(pid: pids.customer) ?? 0) - customerBefore) / elapsed
        let json = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any]
        let end = json?["end"] as? [String: Any]
        guard result.succeeded, let received = end?["sum_received"] as? [String: Any],
              let bits = received["bits_per_second"] as? Double else {
            throw BenchError("iperf3 \(label) failed: \(json?["error"] as? String ?? result.stderr + result.stdout.suffix(500))")
        }
        let retransmits = (end?["sum_sent"] as? [String: Any])?["retransmits"] as? Int ?? 0
        return Run(label: label, bitsPerSecond: bits, retransmits: retransmits, edgeCores: edgeCores, customerCores: customerCores)
    }
}
