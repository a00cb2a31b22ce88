import Foundation
import LinuxNet
import NetLab
import Testing

/// Moat's traceroute on real packets: core and two edges (ams1, fra1) in namespaces, six hops
/// of routers to the target (see NetLab's `TracerouteLab`), driven by `moat traceroute` and held
/// against Debian's `traceroute -n` run from the same edge.
@Suite(.serialized, .timeLimit(.minutes(4)), .onLabThreads)
struct TracerouteLabTests {
    static func canRun(_ test: String) -> Bool {
        Requirements(Requirements.ip, Requirements.nft, ["traceroute": "traceroute"]).met("TracerouteLabTests.\(test)")
    }

    /// Hop number → the addresses Moat saw at it.
    static func hops(_ result: [String: Any]) -> [Int: Set<String>] {
        var hops: [Int: Set<String>] = [:]
        for hop in result["hops"] as? [[String: Any]] ?? [] {
            let nodes = hop["nodes"] as? [[String: Any]] ?? []
            hops[hop["ttl"] as? Int ?? 0] = Set(nodes.compactMap { $0["address"] as? String })
        }
        return hops
    }

    static func result(_ job: [String: Any], target: String, location: String) throws -> [String: Any] {
        let results = job["results"] as? [[String: Any]] ?? []
        return try #require(results.first { $0["target"] as? String == target && $0["location"] as? String == location },
                            "no result for \(target) from \(location) in \(results.map { "\($0["target"] ?? "?")@\($0["location"] ?? "?")" })")
    }

    @Test func tracesMatchDebianTracerouteInEveryModeAndFromEveryLocation() async throws {
        guard Self.canRun("tracesMatchDebianTracerouteInEveryModeAndFromEveryLocation") else { return }
        let data = MoatBinary.temporaryDirectory("traceroute")
        defer { try? FileManager.default.removeItem(at: data) }
        try await withLab { lab in
            let net = try TracerouteLab(lab: lab)
            let moat = TracerouteMoat(net: net, moat: MoatBinary.path, dataDirectory: data.path)
            try moat.start()
            let single = TracerouteLab.singlePathTarget
            let ecmp = TracerouteLab.ecmpTarget

            for mode in ["icmp", "udp", "tcp"] {
                let job = try moat.traceroute([single, ecmp, "--from", "all", "--proto", mode, "--packets", "10", "--wait", "2"])
                #expect(job["status"] as? String == "complete")
                for (edge, location) in [("edge1", "ams1"), ("edge2", "fra1")] {
                    let traced = try Self.result(job, target: single, location: location)
                    #expect(traced["status"] as? String == "done" && traced["reached"] as? Bool == true, "\(mode) from \(location): \(traced)")
                    let debian = try net.debianTraceroute(from: edge, to: single, mode: mode)
                    #expect(Self.hops(traced) == debian.hops, "\(mode) from \(location): Moat saw \(Self.hops(traced)), traceroute -n printed\n\(debian.output)")
                    #expect(Self.hops(traced).count == 6)

                    // Paris: every probe of a trace takes the same one of r2's two paths.
                    let balanced = try Self.result(job, target: ecmp, location: location)
                    let path = Self.hops(balanced)
                    #expect(path.count == 6 && path.values.allSatisfy { $0.count == 1 }, "\(mode) from \(location) to the ECMP target: \(path)")
                    #expect(path[3].map { $0.isSubset(of: TracerouteLab.parallelRouters) } == true)

                    // AS numbers from the edge's IP-to-ASN file.
                    for hop in traced["hops"] as? [[String: Any]] ?? [] {
                        for node in hop["nodes"] as? [[String: Any]] ?? [] {
                            let ours = node["address"] as? String == single
                            #expect(node["asn"] as? Int == (ours ? 64500 : 64501) && node["as_name"] as? String == (ours ? "ACME" : "TRANSIT-A"), "\(node)")
                            #expect((node["answered"] as? Int ?? 0) == 10 && (node["rtt_min"] as? Double ?? -1) >= 0)
                        }
                    }
                }
            }

            // r2 really balances per flow: traceroute's UDP probes change port every time, and
            // twenty of them see both parallel routers (each misses one with probability 2^-10).
            var seen: Set<String> = []
            for _ in 0..<2 {
                seen.formUnion(try net.debianTraceroute(from: "edge1", to: ecmp, mode: "udp", probes: 10, firstTTL: 3, maxTTL: 3).hops[3] ?? [])
            }
            #expect(seen == TracerouteLab.parallelRouters, "traceroute's changing flows saw only \(seen) behind r2")
        }
    }

    @Test func aSilentRouterIsAHopWithoutNodesAndForeignTargetsAreRefused() async throws {
        guard Self.canRun("aSilentRouterIsAHopWithoutNodesAndForeignTargetsAreRefused") else { return }
        let data = MoatBinary.temporaryDirectory("traceroute")
        defer { try? FileManager.default.removeItem(at: data) }
        try await withLab { lab in
            let net = try TracerouteLab(lab: lab)
            let moat = TracerouteMoat(net: net, moat: MoatBinary.path, dataDirectory: data.path)
            try moat.start()
            let single = TracerouteLab.singlePathTarget
            try net.silence("r4")

            let job = try moat.traceroute([single, "--from", "ams1", "--proto", "udp", "--wait", "1"])
            let traced = try Self.result(job, target: single, location: "ams1")
            let hops = traced["hops"] as? [[String: Any]] ?? []
            #expect(hops.count == 6 && traced["reached"] as? Bool == true, "\(traced)")
            if hops.count == 6 {
                #expect((hops[3]["nodes"] as? [Any])?.isEmpty == true && hops[3]["lost"] as? Int == 3 && hops[3]["sent"] as? Int == 3,
                        "the silent r4: \(hops[3])")
            }
            let debian = try net.debianTraceroute(from: "edge1", to: single, mode: "udp")
            #expect(Self.hops(traced) == debian.hops, "Moat saw \(Self.hops(traced)), traceroute -n printed\n\(debian.output)")
            #expect(debian.hops[4] == [], "traceroute -n shows r4 as * * *")

            // The table a person reads, and the progress while it runs.
            let table = try moat.client(["traceroute", single, "--from", "ams1", "--proto", "udp", "--wait", "1", "--account", moat.account],
                                        timeout: .seconds(60))
            #expect(table.succeeded, "\(table.stderr)")
            #expect(table.stdout.contains("HOP") && table.stdout.contains("AS64501 TRANSIT-A") && table.stdout.contains("???"), "\(table.stdout)")
            #expect(table.stderr.contains("ams1: \(single) done, 6 hops, reached"), "\(table.stderr)")

            // Not the account's: refused before any probe leaves.
            let refused = try moat.client(["traceroute", TracerouteLab.foreignTarget, "--account", moat.account])
            #expect(!refused.succeeded && refused.stderr.contains("target_not_allowed") && refused.stderr.contains("targets[0]"), "\(refused.stderr)")
        }
    }
}
