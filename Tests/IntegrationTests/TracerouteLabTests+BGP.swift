import Foundation
import LinuxNet
import NetLab
import Testing

extension TracerouteLabTests {
    @Test func hopsTakeTheOriginASFromTheEdgesBGPTable() async throws {
        guard Requirements(Requirements.ip, Requirements.nft, ["traceroute": "traceroute", "bird": "bird2"])
            .met("TracerouteLabTests.hopsTakeTheOriginASFromTheEdgesBGPTable") else { return }
        let data = MoatBinary.temporaryDirectory("traceroute")
        defer { try? FileManager.default.removeItem(at: data) }
        try await withLab { lab in
            let net = try TracerouteLab(lab: lab)
            try net.startBIRD(dataDirectory: data.path, edges: ["edge1"])
            let moat = TracerouteMoat(net: net, moat: MoatBinary.path, dataDirectory: data.path)
            try moat.start(bgpEdges: ["edge1"])
            // Established, and the routers' prefix sent: BIRD counts it as exported.
            let deadline = ContinuousClock.now + .seconds(30)
            var protocols = ""
            while ContinuousClock.now < deadline {
                protocols = (try? net.birdc(data.path, ["show", "protocols", "all", "edge1"])) ?? ""
                if protocols.contains("Established"), protocols.contains("1 exported") { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(protocols.contains("Established") && protocols.contains("1 exported"), "BIRD's session with edge1:\n\(protocols)")
            try await Task.sleep(for: .milliseconds(500))

            let single = TracerouteLab.singlePathTarget
            let job = try moat.traceroute([single, "--from", "all", "--proto", "icmp", "--wait", "1"])
            for (location, routers, routersName) in [("ams1", TracerouteLab.birdOriginASN, nil), ("fra1", 64501, "TRANSIT-A")] {
                let traced = try Self.result(job, target: single, location: location)
                let nodes = (traced["hops"] as? [[String: Any]] ?? []).flatMap { $0["nodes"] as? [[String: Any]] ?? [] }
                #expect(nodes.count == 6 && traced["reached"] as? Bool == true, "\(location): \(traced)")
                for node in nodes {
                    // The target's /24 is not in BIRD's announcement: the file still answers for it.
                    let ours = node["address"] as? String == single
                    #expect(node["asn"] as? Int == (ours ? 64500 : routers), "\(location): \(node)")
                    #expect(node["as_name"] as? String == (ours ? "ACME" : routersName), "\(location): \(node)")
                }
            }
        }
    }
}
