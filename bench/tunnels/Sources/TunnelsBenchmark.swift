import ArgumentParser
import Foundation
import LinuxNet
import NetLab

/// `bench/tunnels`: Moat's userspace GRE, in NetLab's `TunnelLab` (client — edge running
/// `moat up` — underlay — customer router running `moat gre-endpoint` — origin).
///
/// 1. Failover gap: a 1,000 datagrams/s stream; the carrying tunnel's GRE is dropped on the
///    customer side; the gap is the longest run of lost datagrams. At probe rates high and mid,
///    next to FRR's default BFD detection time (3 × 300 ms).
/// 2. Probe overhead: GRE packets per second per tunnel on the underlay with no traffic.
/// 3. Throughput: iperf3 TCP through a tunnel, both ways, with the CPU the two moat processes
///    used, next to iperf3 over the plain underlay veth.
@main
struct TunnelsBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moat-bench-tunnels",
        abstract: "Measure tunnel failover, probe overhead and GRE throughput (needs root).")

    @Option(help: "The moat executable (default: the one next to this benchmark).")
    var moat: String?

    @Option(help: "Failovers measured per probe rate.")
    var rounds = 5

    @Option(help: "Seconds of counting per probe rate for the overhead.")
    var overheadSeconds = 5.0

    @Option(help: "Seconds per iperf3 run.")
    var iperfSeconds = 5

    @Flag(help: "Skip the iperf3 runs.")
    var skipThroughput = false

    @Flag(help: "Keep the lab's logs (moat's included) and print where they are.")
    var keepLogs = false

    /// FRR's default BFD detection time: 3 × 300 ms.
    static let bfdDetection = 0.9
    static let targets: [String: Double] = ["high": 0.2, "mid": 1.0]

    func validate() throws {
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds must be 1...20") }
        guard (1...60).contains(overheadSeconds) else { throw ValidationError("--overhead-seconds must be 1...60") }
        guard (1...60).contains(iperfSeconds) else { throw ValidationError("--iperf-seconds must be 1...60") }
    }

    func run() async throws {
        guard SystemUser.isRoot else {
            throw BenchError("bench/tunnels needs root: it creates network namespaces, TUN devices and nftables tables (try sudo)")
        }
        for tool in ["ip", "nft", "ping"] + (skipThroughput ? [] : ["iperf3"]) where !Command.isInstalled(tool) {
            throw BenchError("'\(tool)' is not installed (apt-get install -y iproute2 nftables iputils-ping iperf3)")
        }
        guard FileManager.default.isExecutableFile(atPath: Lab.python) else {
            throw BenchError("\(Lab.python) is needed for the UDP stream (apt-get install -y python3)")
        }
        let moat = self.moat ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("moat").path
        guard FileManager.default.isExecutableFile(atPath: moat) else {
            throw BenchError("no moat executable at \(moat): build it (swift build -c release --product moat) or pass --moat")
        }
        try await withLab(base: "moatbt", keepLogs: keepLogs) { lab in try measure(lab: lab, moat: moat) }
    }

    private func measure(lab: Lab, moat: String) throws {
        print("bench/tunnels — userspace GRE: failover, probe overhead, throughput")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Self.kernel()); moat: \(moat)")
        if keepLogs { print("logs: \(lab.logDirectory)") }
        print("")

        let net = try TunnelLab(lab: lab, moat: moat, tunnelCount: 2)
        try net.startEndpoint()
        try net.startEdge()
        for tunnel in net.tunnels {
            try net.createTunnel(tunnel, rate: "high")
        }
        try net.createRoute(via: net.tunnels[0], priority: 100)
        try net.createRoute(via: net.tunnels[1], priority: 200)
        try net.waitForHealth(Dictionary(uniqueKeysWithValues: net.tunnels.map { ($0, "healthy") }), timeout: .seconds(60))

        var gaps: [(rate: String, seconds: [Double])] = []
        var overhead: [ProbeOverhead.Sample] = []
        for rate in ["high", "mid", "low"] {
            if rate != "high" {
                try net.tunnels.forEach { try net.setRate($0, rate) }
                // Let the edge pick the new rate up and the counters settle.
                sleep(2)
            }
            overhead.append(try ProbeOverhead.measure(net, rate: rate, seconds: overheadSeconds))
            if Self.targets[rate] != nil {
                gaps.append((rate, try FailoverGap.measure(net, rounds: rounds)))
            }
        }

        print("1. Failover gap: 1,000 datagrams/s UDP, the carrying tunnel's GRE dropped on the customer side, \(rounds) rounds per rate")
        print("   " + pad("probe rate", 12) + pad("median", 10, right: true) + pad("min", 10, right: true) + pad("max", 10, right: true)
              + "   " + pad("target", 18) + pad("FRR BFD default", 17) + "all rounds")
        for (rate, seconds) in gaps {
            let target = Self.targets[rate] ?? 0
            let median = FailoverGap.median(seconds)
            let verdict = median < target ? "met" : "MISSED"
            print("   " + pad(rate, 12) + pad(ms(median), 10, right: true) + pad(ms(seconds.min() ?? 0), 10, right: true)
                  + pad(ms(seconds.max() ?? 0), 10, right: true) + "   " + pad("< \(ms(target)): \(verdict)", 18)
                  + pad(ms(Self.bfdDetection), 17) + seconds.map(ms).joined(separator: ", "))
        }
        print("")
        ProbeOverhead.print(overhead, seconds: overheadSeconds)
        print("")
        if !skipThroughput {
            try Throughput.measure(net, seconds: iperfSeconds)
        }
    }

    static func kernel() -> String {
        (try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8))
            .map { "Linux " + $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "unknown kernel"
    }
}

func ms(_ seconds: Double) -> String {
    seconds >= 10 ? String(format: "%.1f s", seconds) : String(format: "%.0f ms", seconds * 1000)
}

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return right ? fill + text : text + fill
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
