import ArgumentParser
import Foundation
import LinuxNet
import NetLab

/// `bench/traceroute`: one `moat traceroute` to a target six hops away from two locations at
/// once, beside Debian's `traceroute -n` run from the same two edges one after the other, in
/// NetLab's `TracerouteLab`. Wall time from the command's start to its table, and the probes
/// each sent (nftables counters on the edges' output to the target). `--ipv6` traces the lab's
/// IPv6 target (`traceroute -6`); `--proto gre` traces through the lab's tunnel to its customer
/// endpoint from ams1 only (the edge holding the Moat endpoint), beside `traceroute -I` to the
/// endpoint from that edge.
@main
struct TracerouteBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "moat-bench-traceroute",
        abstract: "Time a traceroute from two locations beside Debian's traceroute (needs root).")

    @Option(help: "The moat executable (default: the one next to this benchmark).")
    var moat: String?

    @Option(help: "Runs of each.")
    var rounds = 5

    @Option(help: "Probe type for both: icmp, udp, tcp, or gre (Moat; Debian's traceroute then uses ICMP).")
    var proto = "udp"

    @Flag(help: "Trace the lab's IPv6 target.")
    var ipv6 = false

    func validate() throws {
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds must be 1...20") }
        guard ["icmp", "udp", "tcp", "gre"].contains(proto) else { throw ValidationError("--proto must be icmp, udp, tcp or gre") }
        guard !(ipv6 && proto == "gre") else { throw ValidationError("gre traces are IPv4 only, as tunnels are") }
    }

    func run() async throws {
        guard SystemUser.isRoot else { throw BenchError("bench/traceroute needs root: it creates network namespaces and raw sockets (try sudo)") }
        for tool in ["ip", "nft", "traceroute"] where !Command.isInstalled(tool) {
            throw BenchError("'\(tool)' is not installed (apt-get install -y iproute2 nftables traceroute)")
        }
        let moat = self.moat ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("moat").path
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("moat-bench-traceroute-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: data) }
        let gre = proto == "gre"
        let target = gre ? TracerouteLab.customerEndpoint : ipv6 ? TracerouteLab.singlePathTarget6 : TracerouteLab.singlePathTarget
        let edges = gre ? ["edge1"] : ["edge1", "edge2"]
        try await withLab(base: "moatbtr") { lab in
            let net = try TracerouteLab(lab: lab)
            let system = TracerouteMoat(net: net, moat: moat, dataDirectory: data.path)
            try system.start()
            if gre { try system.startCustomerRouter() }
            for edge in edges { try Self.addCounter(net, edge: edge, target: target) }

            var moatTimes: [Double] = []
            var moatProbes: [Int] = []
            var moatHops: [Int] = []
            var debianTimes: [Double] = []
            var debianProbes: [Int] = []
            let flag = ["icmp": ["-I"], "gre": ["-I"], "tcp": ["-T"], "udp": []][proto]! + (ipv6 ? ["-6"] : [])
            for _ in 0..<rounds {
                var before = try Self.probes(net, edges: edges)
                let start = ContinuousClock.now
                let result = try system.client(["traceroute", target, "--from", gre ? "ams1" : "all", "--proto", proto, "--account", system.account, "--json"],
                                               timeout: .seconds(120))
                moatTimes.append((ContinuousClock.now - start).seconds)
                guard result.succeeded else { throw BenchError("moat traceroute failed: \(result.stderr)") }
                moatProbes.append(try Self.probes(net, edges: edges) - before)
                moatHops.append(try Self.hops(result.stdout, locations: edges.count))

                before = try Self.probes(net, edges: edges)
                let debianStart = ContinuousClock.now
                for edge in edges {
                    try lab.exec(in: try net.ns(edge), ["traceroute", "-n"] + flag + [target], timeout: .seconds(120))
                }
                debianTimes.append((ContinuousClock.now - debianStart).seconds)
                debianProbes.append(try Self.probes(net, edges: edges) - before)
            }
            Self.report(proto: proto, target: target, edges: edges.count, rounds: rounds, hops: moatHops, moat: (moatTimes, moatProbes),
                        debian: (debianTimes, debianProbes))
        }
    }

    static func report(proto: String, target: String, edges: Int, rounds: Int, hops: [Int], moat: ([Double], [Int]), debian: ([Double], [Int])) {
        func ms(_ value: Double) -> String { String(format: "%.0f ms", value * 1000) }
        func row(_ name: String, _ times: [Double], _ probes: [Int]) -> String {
            let sorted = times.sorted()
            let cells = [ms(sorted[sorted.count / 2]), ms(sorted.first!), ms(sorted.last!), String(probes.sorted()[probes.count / 2])]
            return name.padding(toLength: 52, withPad: " ", startingAt: 0) + cells.map { $0.padding(toLength: 10, withPad: " ", startingAt: 0) }.joined()
        }
        let from = edges == 2 ? "from ams1 and fra1" : "from ams1"
        print("Traceroute to \(target) (\(hops.first ?? 0) hops), \(proto), 3 probes per hop, \(from); \(rounds) runs each")
        print("".padding(toLength: 52, withPad: " ", startingAt: 0) + ["median", "min", "max", "probes"].map { $0.padding(toLength: 10, withPad: " ", startingAt: 0) }.joined())
        if edges == 2 {
            print(row("moat traceroute --from all (both edges at once)", moat.0, moat.1))
            print(row("traceroute -n from edge1, then from edge2", debian.0, debian.1))
        } else {
            print(row("moat traceroute --proto \(proto) --from ams1", moat.0, moat.1))
            print(row("traceroute -n -I from edge1", debian.0, debian.1))
        }
        print("moat's time runs from the command's start to its table: the API call, the edges' job poll, the trace, the results, and the CLI's polling (every 50 ms for the first 2 s).")
    }

    /// The most hops any location's result shows; fails unless every location reached the target.
    static func hops(_ json: String, locations: Int) throws -> Int {
        let job = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any]
        let results = job?["results"] as? [[String: Any]] ?? []
        guard results.count == locations, results.allSatisfy({ $0["reached"] as? Bool == true }) else {
            throw BenchError("not every location reached the target: \(json.prefix(2000))")
        }
        return results.map { ($0["hops"] as? [Any])?.count ?? 0 }.max() ?? 0
    }

    /// Counts packets the edge sends to `target` (both Moat's raw-socket probes and traceroute's).
    static func addCounter(_ net: TracerouteLab, edge: String, target: String) throws {
        let namespace = try net.ns(edge)
        let family = target.contains(":") ? "ip6" : "ip"
        try net.lab.exec(in: namespace, ["nft", "add", "table", "inet", "moat_bench"])
        try net.lab.exec(in: namespace, ["nft", "add chain inet moat_bench out { type filter hook output priority 0 ; }"])
        try net.lab.exec(in: namespace, ["nft", "add", "rule", "inet", "moat_bench", "out", family, "daddr", target, "counter"])
    }

    /// Packets counted on `edges` so far.
    static func probes(_ net: TracerouteLab, edges: [String]) throws -> Int {
        var total = 0
        for edge in edges {
            let listing = try net.lab.exec(in: try net.ns(edge), ["nft", "list", "table", "inet", "moat_bench"]).stdout
            if let range = listing.range(of: "packets ") {
                total += Int(listing[range.upperBound...].prefix { $0.isNumber }) ?? 0
            }
        }
        return total
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
