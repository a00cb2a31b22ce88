import Foundation
import LinuxNet
import NetLab
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Moat's GRE on the wire, judged by implementations that share nothing with it: Wireshark's
/// dissectors read what the edge and the customer side send, and a GRE peer written with
/// scapy talks to `moat gre-endpoint` both ways.
@Suite(.serialized, .timeLimit(.minutes(2)), .onLabThreads)
struct GREInteropTests {
    /// ICMP and UDP through a tunnel, captured on the underlay: tshark dissects every packet as
    /// GRE carrying IPv4, finds nothing malformed and no error, and sees the inner messages.
    @Test func tsharkDissectsTunnelTraffic() async throws {
        guard Requirements(Requirements.nft, Requirements.python, ["tcpdump": "tcpdump", "tshark": "tshark"])
            .met("GREInteropTests.tsharkDissectsTunnelTraffic") else { return }
        try await withLab { lab in
            let net = try TunnelLab(lab: lab, moat: MoatBinary.path, tunnelCount: 1)
            let tunnel = net.tunnels[0]
            try net.startEndpoint()
            try net.startEdge()
            try net.createTunnel(tunnel, rate: "high")
            try net.createRoute(via: tunnel, priority: 100)
            try net.waitUntil("the origin answers the client through the tunnel", process: net.core) {
                try lab.run(in: net.client, ["ping", "-c", "1", "-W", "1", TunnelLab.originAddress], timeout: .seconds(5)).succeeded
            }

            let capture = lab.logDirectory + "/underlay.pcap"
            let tcpdump = try lab.start(in: net.customer, ["tcpdump", "-i", "wan0", "-n", "-U", "--immediate-mode", "-c", "2000", "-w", capture, "ip proto 47"])
            try net.waitUntil("tcpdump listens", timeout: .seconds(10), process: tcpdump) { TunnelLab.log(tcpdump).contains("listening on") }
            try lab.exec(in: net.client, ["ping", "-c", "5", "-i", "0.2", "-W", "2", TunnelLab.originAddress], timeout: .seconds(15))
            let receiver = try lab.startStreamReceiver(in: net.origin, port: 9000, seconds: 20)
            let sender = try lab.startStreamSender(in: net.client, to: TunnelLab.originAddress, port: 9000, rate: 100, count: 50, size: 300)
            #expect(sender.waitUntilDone(timeout: .seconds(10)))
            usleep(300_000)
            tcpdump.kill(signal: SIGINT)
            #expect(tcpdump.waitForExit(timeout: .seconds(5)))
            #expect(try receiver.finish().records.count >= 45, "the UDP datagrams did not get through the tunnel")

            // Checksums too: tshark leaves IPv4 and UDP ones unverified unless asked.
            let dissected = try Command("tshark", ["-r", capture, "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-V"],
                                        timeout: .seconds(60)).check().stdout
            let malformed = dissected.split(separator: "\n").filter { $0.contains("Malformed") || $0.contains("Expert Info (Error") }
            #expect(malformed.isEmpty, "tshark found errors: \(malformed.prefix(5))")
            #expect(dissected.contains("Generic Routing Encapsulation (IP)"))
            #expect(!dissected.contains("status: Bad") && !dissected.contains("Status: Bad"), "a bad checksum")

            let captured = try Self.fields(capture, ["ip.src", "ip.dst", "ip.ttl", "gre.proto", "icmp.type", "udp.dstport", "ipv6.src"])
            // A tunnel device, like a kernel GRE device, speaks IPv6 on its link by itself when it
            // comes up (router solicitations, MLD from its link-local address): that is all the
            // IPv6 there may be.
            let frames = captured.filter { !($0["gre.proto"] == ["0x86dd"] && ($0["ipv6.src"]?.first ?? "").hasPrefix("fe80:")) }
            #expect(frames.count >= 20, "only \(frames.count) GRE frames captured")
            #expect(frames.allSatisfy { $0["gre.proto"] == ["0x0800"] && $0["ip.src"]?.count == 2 },
                    "frames that are not GRE carrying one IPv4 packet: \(frames.filter { $0["gre.proto"] != ["0x0800"] || $0["ip.src"]?.count != 2 }.prefix(3))")
            let edge = [TunnelLab.moatEndpoint, tunnel.customerEndpoint]
            let customer = [tunnel.customerEndpoint, TunnelLab.moatEndpoint]
            func outer(_ frame: [String: [String]]) -> [String] { [frame["ip.src"]?.first ?? "", frame["ip.dst"]?.first ?? ""] }
            func inner(_ frame: [String: [String]]) -> [String] { [frame["ip.src"]?.last ?? "", frame["ip.dst"]?.last ?? ""] }
            let requests = frames.filter { outer($0) == edge && inner($0) == [TunnelLab.clientAddress, TunnelLab.originAddress] && $0["icmp.type"] == ["8"] }
            let replies = frames.filter { outer($0) == customer && inner($0) == [TunnelLab.originAddress, TunnelLab.clientAddress] && $0["icmp.type"] == ["0"] }
            let datagrams = frames.filter { outer($0) == edge && $0["udp.dstport"] == ["9000"] }
            #expect(requests.count >= 5 && replies.count >= 5, "echo requests in: \(requests.count), replies out: \(replies.count)")
            #expect(datagrams.count >= 45, "UDP datagrams in GRE: \(datagrams.count)")
            // Health probes: ICMP inside GRE that neither the client nor the origin sent.
            let probes = frames.filter { outer($0) == edge && $0["icmp.type"] != nil && !inner($0).contains(TunnelLab.clientAddress) }
            #expect(!probes.isEmpty, "no health probe in \(frames.count) frames")
            // DESIGN.md: the edge sends with TTL 64.
            let edgeTTLs = Set(frames.filter { outer($0) == edge }.compactMap { $0["ip.ttl"]?.first })
            #expect(edgeTTLs == ["64"], "outer TTLs of the edge's GRE: \(edgeTTLs.sorted())")
        }
    }

    /// scapy sends GRE-encapsulated echo requests to `moat gre-endpoint`: the endpoint
    /// decapsulates them into its TUN device, the kernel answers, and the replies come back
    /// GRE-encapsulated and correct. The other way, the endpoint's kernel pings through the
    /// tunnel, scapy decapsulates Moat's packets and answers, and the ping succeeds.
    @Test func aScapyPeerAndTheGREEndpointUnderstandEachOther() async throws {
        guard Requirements(Requirements.python).met("GREInteropTests.aScapyPeerAndTheGREEndpointUnderstandEachOther") else { return }
        let scapy = try Command.run(Lab.python, ["-c", "import scapy.layers.l2"], timeout: .seconds(30))
        try #require(scapy.succeeded, "scapy for \(Lab.python) (python3-scapy; scripts/test installs it): \(scapy.stderr)")
        try await withLab { lab in
            let peer = try lab.addNamespace("peer")
            let router = try lab.addNamespace("router")
            let link = try lab.addLink(peer, interface: "wan0", to: router, interface: "wan0")
            let (peerAddress, endpointAddress) = ("198.51.100.1", "192.0.2.1")
            try lab.addAddress("\(peerAddress)/30", to: link.a)
            try lab.addAddress("198.51.100.2/30", to: link.b)
            try lab.addAddress("\(endpointAddress)/32", to: link.b)
            try lab.addRoute(to: "192.0.2.0/24", via: "198.51.100.2", in: peer)
            let endpoint = try lab.start(in: router, [MoatBinary.path, "gre-endpoint", "--tunnel", "gre1,\(endpointAddress),\(peerAddress),10.100.0.0/31"])
            try MoatBinary.waitUntil("gre1 has 10.100.0.1") {
                guard endpoint.isRunning else { throw WaitTimeout(what: "gre-endpoint exited: \(MoatBinary.log(endpoint))") }
                return try lab.run(in: router, ["ip", "-o", "-4", "addr", "show", "dev", "gre1"]).stdout.contains(" 10.100.0.1/31")
            }
            let script = lab.logDirectory + "/gre_peer.py"
            try GREPeerScript.source.write(toFile: script, atomically: true, encoding: .utf8)

            // scapy → Moat: five echo requests to the endpoint's inside address.
            let pinged = try lab.exec(in: peer, [Lab.python, script, "ping", endpointAddress, peerAddress, "10.100.0.0", "10.100.0.1", "5"],
                                      timeout: .seconds(60))
            let result = try Self.result(pinged.stdout)
            let replies = result["received"] as? [[String: Any]] ?? []
            #expect(replies.count == 5, "replies: \(replies)")
            for (seq, reply) in replies.enumerated() {
                Self.expectGRE(reply, from: endpointAddress, to: peerAddress)
                #expect(reply["inner_src"] as? String == "10.100.0.1" && reply["inner_dst"] as? String == "10.100.0.0", "\(reply)")
                #expect(reply["icmp_type"] as? Int == 0 && reply["icmp_code"] as? Int == 0, "not an echo reply: \(reply)")
                #expect(reply["icmp_id"] as? Int == 0x5ca9 && reply["icmp_seq"] as? Int == seq, "\(reply)")
                let payload = Array(String(format: "scapy-gre-%04d", seq).utf8) + Array(0..<32)
                #expect(reply["icmp_payload"] as? String == payload.map { String(format: "%02x", $0) }.joined(), "the echoed payload differs: \(reply)")
            }

            // Moat → scapy: the endpoint's kernel pings the peer's inside address through gre1.
            let answering = try lab.start(in: peer, [Lab.python, script, "answer", endpointAddress, peerAddress, "30", "3"])
            try MoatBinary.waitUntil("the scapy peer answers") { MoatBinary.log(answering).contains("answering") }
            let ping = try lab.run(in: router, ["ping", "-c", "3", "-i", "0.3", "-W", "3", "-p", "6d6f6174", "10.100.0.0"], timeout: .seconds(20))
            #expect(ping.succeeded, "ping through the tunnel to scapy: \(ping.stdout)\(ping.stderr)")
            #expect(answering.waitForExit(timeout: .seconds(30)))
            let answered = try Self.result(MoatBinary.log(answering))
            let requests = answered["requests"] as? [[String: Any]] ?? []
            #expect(requests.count == 3, "requests seen: \(requests)")
            for request in requests {
                Self.expectGRE(request, from: endpointAddress, to: peerAddress)
                #expect(request["inner_src"] as? String == "10.100.0.1" && request["inner_dst"] as? String == "10.100.0.0", "\(request)")
                #expect(request["icmp_type"] as? Int == 8 && (request["icmp_payload"] as? String)?.contains("6d6f6174") == true, "\(request)")
            }
        }
    }

    /// RFC 2784 GRE from `source` to `destination` without optional fields, carrying a
    /// well-formed IPv4 packet; every checksum holds.
    static func expectGRE(_ packet: [String: Any], from source: String, to destination: String,
                          sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(packet["outer_src"] as? String == source && packet["outer_dst"] as? String == destination,
                "outer addresses: \(packet)", sourceLocation: sourceLocation)
        #expect(packet["outer_proto"] as? Int == 47 && packet["outer_checksum_ok"] as? Bool == true, "\(packet)", sourceLocation: sourceLocation)
        #expect(packet["gre_version"] as? Int == 0 && packet["gre_proto"] as? Int == 0x0800, "GRE header: \(packet)", sourceLocation: sourceLocation)
        #expect(packet["gre_checksum_present"] as? Int == 0 && packet["gre_key_present"] as? Int == 0
                && packet["gre_seq_present"] as? Int == 0 && packet["gre_routing_present"] as? Int == 0,
                "optional GRE fields: \(packet)", sourceLocation: sourceLocation)
        #expect(packet["inner_length_ok"] as? Bool == true && packet["inner_checksums_ok"] as? Bool == true,
                "inner packet: \(packet)", sourceLocation: sourceLocation)
    }

    /// The JSON after `RESULT ` in a peer's output.
    static func result(_ output: String) throws -> [String: Any] {
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("RESULT ") }, "no result in: \(output.suffix(2000))")
        return jsonObject(String(line.dropFirst("RESULT ".count)))
    }

    /// One dictionary per frame: every occurrence of each field, outer first.
    static func fields(_ capture: String, _ names: [String]) throws -> [[String: [String]]] {
        let arguments = ["-r", capture, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"]
            + names.flatMap { ["-e", $0] }
        let output = try Command("tshark", arguments, timeout: .seconds(60)).check().stdout
        return output.split(separator: "\n").map { line in
            let values = line.split(separator: "\t", omittingEmptySubsequences: false)
            var frame: [String: [String]] = [:]
            for (name, value) in zip(names, values) where !value.isEmpty {
                frame[name] = value.split(separator: ",").map(String.init)
            }
            return frame
        }
    }
}
