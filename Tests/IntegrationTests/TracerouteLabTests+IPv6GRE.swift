import Foundation
import LinuxNet
import NetLab
import Testing

extension TracerouteLabTests {
    @Test func ipv6TracesMatchDebianTracerouteInEveryMode() async throws {
        guard Self.canRun("ipv6TracesMatchDebianTracerouteInEveryMode") else { return }
        let data = MoatBinary.temporaryDirectory("traceroute")
        defer { try? FileManager.default.removeItem(at: data) }
        try await withLab { lab in
            let net = try TracerouteLab(lab: lab)
            let moat = TracerouteMoat(net: net, moat: MoatBinary.path, dataDirectory: data.path)
            try moat.start()
            let single = TracerouteLab.singlePathTarget6
            let ecmp = TracerouteLab.ecmpTarget6

            for mode in ["icmp", "udp", "tcp"] {
                let job = try moat.traceroute([single, ecmp, "--from", "all", "--proto", mode, "--packets", "5", "--wait", "2"])
                #expect(job["status"] as? String == "complete")
                for (edge, location) in [("edge1", "ams1"), ("edge2", "fra1")] {
                    let traced = try Self.result(job, target: single, location: location)
                    #expect(traced["status"] as? String == "done" && traced["reached"] as? Bool == true, "\(mode) from \(location): \(traced)")
                    let debian = try net.debianTraceroute(from: edge, to: single, mode: mode)
                    #expect(Self.hops(traced) == debian.hops, "\(mode) from \(location): Moat saw \(Self.hops(traced)), traceroute -6 -n printed\n\(debian.output)")
                    #expect(Self.hops(traced).count == 6 && Self.hops(traced)[6] == [single])

                    let path = Self.hops(try Self.result(job, target: ecmp, location: location))
                    #expect(path.count == 6 && path.values.allSatisfy { $0.count == 1 }, "\(mode) from \(location) to the ECMP target: \(path)")
                    #expect(path[3].map { $0.isSubset(of: TracerouteLab.parallelRouters6) } == true)

                    for hop in traced["hops"] as? [[String: Any]] ?? [] {
                        for node in hop["nodes"] as? [[String: Any]] ?? [] {
                            let ours = node["address"] as? String == single
                            #expect(node["asn"] as? Int == (ours ? 64500 : 64501), "\(node)")
                            #expect((node["answered"] as? Int ?? 0) == 5)
                        }
                    }
                }
            }
        }
    }

    @Test func greTracesGoThroughTheTunnelToTheCustomerRouter() async throws {
        guard Self.canRun("greTracesGoThroughTheTunnelToTheCustomerRouter") else { return }
        let data = MoatBinary.temporaryDirectory("traceroute")
        defer { try? FileManager.default.removeItem(at: data) }
        try await withLab { lab in
            let net = try TracerouteLab(lab: lab)
            let moat = TracerouteMoat(net: net, moat: MoatBinary.path, dataDirectory: data.path)
            try moat.start()
            let endpoint = TracerouteLab.customerEndpoint
            let router = try moat.startCustomerRouter()

            // Routers on the way answer the outer packet, the customer router the echo inside it:
            // the same hops as an ICMP traceroute to the endpoint from the edge that holds the
            // Moat endpoint.
            let job = try moat.traceroute([endpoint, "--from", "ams1", "--proto", "gre", "--packets", "5", "--wait", "2"])
            let traced = try Self.result(job, target: endpoint, location: "ams1")
            #expect(traced["status"] as? String == "done" && traced["reached"] as? Bool == true, "\(traced)")
            let debian = try net.debianTraceroute(from: "edge1", to: endpoint, mode: "icmp")
            #expect(Self.hops(traced) == debian.hops, "Moat saw \(Self.hops(traced)), traceroute -I -n printed\n\(debian.output)")
            let hops = traced["hops"] as? [[String: Any]] ?? []
            #expect(hops.count == 6 && hops.allSatisfy { $0["lost"] as? Int == 0 }, "\(hops)")
            let last = (hops.last?["nodes"] as? [[String: Any]])?.first
            #expect(last?["address"] as? String == endpoint && last?["reached"] as? Bool == true && last?["asn"] as? Int == 64500, "\(String(describing: last))")

            // A gre trace goes only to a tunnel's customer endpoint.
            let refused = try moat.client(["traceroute", TracerouteLab.singlePathTarget, "--proto", "gre", "--account", moat.account])
            #expect(!refused.succeeded && refused.stderr.contains("targets[0]") && refused.stderr.contains("customer endpoint"), "\(refused.stderr)")
            let port = try moat.client(["traceroute", endpoint, "--proto", "gre", "--port", "80", "--account", moat.account])
            #expect(!port.succeeded && port.stderr.contains("options.port"), "\(port.stderr)")

            // Without the tunnel the endpoint's kernel answers GRE with protocol unreachable: the
            // endpoint shows, but the trace did not reach the customer router.
            router.terminate()
            let down = try moat.traceroute([endpoint, "--from", "ams1", "--proto", "gre", "--wait", "1"])
            let broken = try Self.result(down, target: endpoint, location: "ams1")
            let brokenHops = broken["hops"] as? [[String: Any]] ?? []
            #expect(broken["reached"] as? Bool == false && brokenHops.count == 6, "\(broken)")
            let answered = (brokenHops.last?["nodes"] as? [[String: Any]])?.first
            #expect(answered?["address"] as? String == endpoint && answered?["reached"] as? Bool == false, "\(String(describing: answered))")
            let table = try moat.client(["traceroute", endpoint, "--from", "ams1", "--proto", "gre", "--wait", "1", "--account", moat.account],
                                        timeout: .seconds(60))
            #expect(table.succeeded && table.stdout.contains("terminates no GRE"), "\(table.stdout)\(table.stderr)")
        }
    }
}
