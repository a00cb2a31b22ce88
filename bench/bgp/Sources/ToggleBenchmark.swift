import ArgumentParser
import Foundation
import LinuxNet
import NetLab

/// Time from the API toggle (`PATCH …/prefixes/{id}` with `advertised`) to the route in BIRD's
/// table, and from the toggle off to the route gone, through the whole path: core commits,
/// the edge's long-poll returns, the edge applies the config, the BGP session sends the UPDATE.
/// `moat up` runs in a namespace with a GRE tunnel routing the prefix (so the edge can deliver
/// it); BIRD is the upstream router in the client's namespace.
struct ToggleBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "toggle",
        abstract: "Time from the API toggle of `advertised` to the route in (and out of) BIRD's table: p50/p99.")

    @Option(help: "The moat executable (a release build).") var moat: String
    @Option(help: "Toggles (each one on and one off).") var toggles = 20

    func validate() throws {
        guard FileManager.default.isExecutableFile(atPath: moat) else { throw ValidationError("--moat \(moat) is not an executable") }
        guard (2...200).contains(toggles) else { throw ValidationError("--toggles must be 2...200") }
    }

    func run() throws {
        guard SystemUser.isRoot else { throw BenchError("bench/bgp needs root: it creates network namespaces (try sudo)") }
        Lab.removeStale()
        let lab = Lab()
        defer { lab.teardown() }
        let net = try TunnelLab(lab: lab, moat: moat, tunnelCount: 1)
        try net.startEndpoint()
        try net.startEdge()
        try net.createTunnel(net.tunnels[0], rate: "high")
        try net.createRoute(via: net.tunnels[0], priority: 100)
        let directory = lab.logDirectory + "/bird"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
        router id 198.18.1.2;
        protocol device { scan time 10; }
        protocol bgp moat {
            local 198.18.1.2 as 64512;
            neighbor 198.18.1.1 as 65010;
            passive on;
            ipv4 { import all; export none; };
        }

        """.write(toFile: directory + "/bird.conf", atomically: true, encoding: .utf8)
        let socket = directory + "/bird.ctl"
        _ = try lab.start(in: net.client, ["bird", "-f", "-c", directory + "/bird.conf", "-s", socket, "-P", directory + "/bird.pid"])
        let peer = try net.client(["bgp-peers", "create", "upstream", "--location", "local", "--peer-address", "198.18.1.2",
                                   "--peer-asn", "64512", "--local-asn", "65010"])
        guard peer.succeeded else { throw BenchError("bgp-peers create: \(peer.stderr)") }
        func hasRoute() -> Bool {
            ((try? lab.run(in: net.client, ["birdc", "-s", socket, "show", "route", TunnelLab.originPrefix]).stdout) ?? "").contains(TunnelLab.originPrefix)
        }
        func until(_ condition: () -> Bool) throws -> Double {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < .seconds(10) {
                if condition() { return (ContinuousClock.now - start).timeInterval }
                usleep(5_000)
            }
            throw BenchError("BIRD's table did not change within 10 s")
        }
        func toggle(_ on: Bool) throws -> Double {
            let start = ContinuousClock.now
            // curl, not the CLI: the figure should not include starting a Swift program.
            let body = "{\"advertised\":\(on)}"
            _ = try lab.run(in: net.edge, ["curl", "-s", "-o", "/dev/null", "-X", "PATCH", "-H", "Authorization: Bearer \(net.token)",
                                           "-H", "Content-Type: application/json", "--data", body,
                                           "\(TunnelLab.apiURL)/v1/accounts/\(net.account)/prefixes/\(net.prefixID)"])
            _ = try until { hasRoute() == on }
            return (ContinuousClock.now - start).timeInterval
        }
        try net.waitUntil("the session is Established", timeout: .seconds(20)) {
            try lab.run(in: net.client, ["birdc", "-s", socket, "show", "protocols", "moat"]).stdout.contains("Established")
        }
        var announce: [Double] = []
        var withdraw: [Double] = []
        for _ in 0..<toggles {
            announce.append(try toggle(true))
            usleep(200_000)
            withdraw.append(try toggle(false))
            usleep(200_000)
        }
        func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((p * Double(sorted.count - 1)).rounded()))]
        }
        print("bench/bgp toggle — API PATCH of `advertised` → BIRD's table, \(toggles) toggles each way (moat up, one edge, BIRD polled every ~5 ms)")
        print("")
        print("   direction     p50 ms   p99 ms   max ms")
        for (name, values) in [("announce", announce), ("withdraw", withdraw)] {
            print("   " + name.padding(toLength: 12, withPad: " ", startingAt: 0)
                  + String(format: "%8.0f %8.0f %8.0f", percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000, (values.max() ?? 0) * 1000))
        }
        print("")
        print("   from the start of a curl PATCH in the edge's namespace until `birdc show route` shows the change (birdc's own run included).")
    }
}
