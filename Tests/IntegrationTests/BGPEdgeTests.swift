import Foundation
import LinuxNet
import NetLab
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The whole path of an announcement, on real sessions: the API toggles a prefix, `moat up`
/// (core and edge) in a namespace announces it to BIRD 2 in the client's namespace (the
/// upstream router), and withdraws it when it cannot deliver (its only tunnel is cut), when
/// drained, and when it dies; a graceful restart keeps the route at the router.
@Suite(.serialized, .timeLimit(.minutes(4)), .onLabThreads)
struct BGPEdgeTests {
    static let route = TunnelLab.originPrefix

    static func canRun(_ test: String) -> Bool {
        Requirements(Requirements.nft, ["bird": "bird2", "birdc": "bird2"]).met("BGPEdgeTests.\(test)")
    }

    /// BIRD in the client namespace: the upstream router at 198.18.1.2, AS 64512, waiting for
    /// the edge (198.18.1.1, AS 65010) to connect. Graceful restart helper by default ("aware").
    struct Upstream {
        let net: TunnelLab
        let socket: String

        static func start(_ net: TunnelLab, more: String = "") throws -> Upstream {
            let directory = net.lab.logDirectory + "/bird"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let config = """
            router id 198.18.1.2;
            log "\(directory)/bird.log" all;
            protocol device { scan time 1; }
            protocol bgp moat {
                local 198.18.1.2 as 64512;
                neighbor 198.18.1.1 as 65010;
                passive on;
                hold time 6;
                ipv4 { import all; export none; };
            }
            \(more)
            """
            try config.write(toFile: directory + "/bird.conf", atomically: true, encoding: .utf8)
            let socket = directory + "/bird.ctl"
            _ = try net.lab.start(in: net.client, ["bird", "-f", "-c", directory + "/bird.conf", "-s", socket, "-P", directory + "/bird.pid"])
            return Upstream(net: net, socket: socket)
        }

        func birdc(_ command: String) throws -> String {
            try net.lab.run(in: net.client, ["birdc", "-s", socket] + command.split(separator: " ").map(String.init)).stdout
        }

        /// `show route all` for the lab's prefix: empty when BIRD has no route for it.
        func routeDetail() -> String {
            let text = (try? birdc("show route all \(BGPEdgeTests.route)")) ?? ""
            return text.contains(BGPEdgeTests.route) ? text : ""
        }

        var hasRoute: Bool { !routeDetail().isEmpty }

        /// What BIRD lists under "Neighbor capabilities" for the session.
        var neighborCapabilities: String {
            let text = (try? birdc("show protocols all moat")) ?? ""
            return text.components(separatedBy: "Neighbor capabilities").dropFirst().first ?? ""
        }

        var established: Bool { isEstablished("moat") }

        func isEstablished(_ protocolName: String) -> Bool {
            ((try? birdc("show protocols \(protocolName)")) ?? "").contains("Established")
        }

        /// Seconds until `condition` holds, polling every 20 ms; throws after `timeout`.
        @discardableResult
        func seconds(until what: String, timeout: Duration = .seconds(10), _ condition: () -> Bool) throws -> Double {
            let start = ContinuousClock.now
            while ContinuousClock.now - start < timeout {
                if condition() { return (ContinuousClock.now - start).timeInterval }
                usleep(20_000)
            }
            throw LabError(.timedOut, "timed out after \(timeout) waiting until \(what); BIRD says:\n\((try? birdc("show protocols all moat")) ?? "")")
        }
    }

    /// An edge with one tunnel routing the prefix, BIRD upstream, and the peer configured.
    static func withEdge(gracefulRestart: Bool, upstreamMore: String = "", _ body: (TunnelLab, Upstream) throws -> Void) async throws {
        try await withLab { lab in
            let net = try TunnelLab(lab: lab, moat: MoatBinary.path, tunnelCount: 1)
            try lab.exec(in: net.edge, ["ip", "-6", "addr", "add", "2001:db8:18::1/64", "dev", "eth0", "nodad"])
            try lab.exec(in: net.client, ["ip", "-6", "addr", "add", "2001:db8:18::2/64", "dev", "eth0", "nodad"])
            try net.startEndpoint()
            try net.startEdge()
            try net.createTunnel(net.tunnels[0], rate: "high")
            try net.createRoute(via: net.tunnels[0], priority: 100)
            let upstream = try Upstream.start(net, more: upstreamMore)
            let created = try net.client(["bgp-peers", "create", "upstream", "--location", "local", "--peer-address", "198.18.1.2",
                                          "--peer-asn", "64512", "--local-asn", "65010", "--hold-time", "6",
                                          "--graceful-restart", String(gracefulRestart), "--community", "65010:100", "--json"])
            #expect(created.succeeded, "bgp-peers create: \(created.stderr)")
            try upstream.seconds(until: "the session is Established", timeout: .seconds(15)) { upstream.established }
            try body(net, upstream)
        }
    }

    func advertise(_ net: TunnelLab, _ on: Bool) throws {
        let result = try net.client(["prefixes", "update", net.prefixID, "--advertised", String(on), "--account", net.account])
        #expect(result.succeeded, "prefixes update: \(result.stderr)")
    }

    @Test func theAPIToggleReachesTheRouterWithinASecondAndAnEdgeThatCannotDeliverWithdraws() async throws {
        guard Self.canRun("theAPIToggleReachesTheRouterWithinASecondAndAnEdgeThatCannotDeliverWithdraws") else { return }
        try await Self.withEdge(gracefulRestart: true) { net, upstream in
            // Approved but not advertised: nothing at the router.
            usleep(300_000)
            #expect(!upstream.hasRoute)

            // Timed from the API's answer (the toggle is stored): starting the CLI, a Swift binary,
            // is not part of the path, and on a loaded machine it alone can take a good part of a second.
            var start = ContinuousClock.now
            try advertise(net, true)
            var answered = ContinuousClock.now
            try upstream.seconds(until: "BIRD has the route") { upstream.hasRoute }
            let announceTime = (ContinuousClock.now - answered).timeInterval
            print("BGPEdgeTests: toggle → route in BIRD \(announceTime) s after the API answered, \((ContinuousClock.now - start).timeInterval) s after the CLI started")
            #expect(announceTime < 1.0, "toggle → route in BIRD took \(announceTime) s")
            let detail = upstream.routeDetail()
            #expect(detail.contains("BGP.as_path: 65010"), "\(detail)")
            #expect(detail.contains("BGP.next_hop: 198.18.1.1"), "\(detail)")
            #expect(detail.contains("(65010,100)"), "\(detail)")

            // Fail-safe: the only tunnel of the route goes down, so this edge cannot deliver.
            try net.cut(net.tunnels[0])
            try upstream.seconds(until: "the route is withdrawn after the tunnel went down", timeout: .seconds(5)) { !upstream.hasRoute }
            try net.restore(net.tunnels[0])
            try upstream.seconds(until: "the route is back once the tunnel is up", timeout: .seconds(20)) { upstream.hasRoute }

            start = ContinuousClock.now
            try advertise(net, false)
            answered = ContinuousClock.now
            try upstream.seconds(until: "BIRD lost the route") { !upstream.hasRoute }
            let withdrawTime = (ContinuousClock.now - answered).timeInterval
            print("BGPEdgeTests: toggle → route gone from BIRD \(withdrawTime) s after the API answered, \((ContinuousClock.now - start).timeInterval) s after the CLI started")
            #expect(withdrawTime < 1.0, "toggle → route gone from BIRD took \(withdrawTime) s")

            // Drain: GRACEFUL_SHUTDOWN (65535,0) first, then the withdrawal, until undrained.
            try advertise(net, true)
            try upstream.seconds(until: "the route is back") { upstream.hasRoute }
            let drained = try net.lab.run(in: net.edge, [net.moat, "edge", "drain", "--wait", "2", "--no-wait"])
            #expect(drained.succeeded, "moat edge drain: \(drained.stderr)")
            try upstream.seconds(until: "the route carries GRACEFUL_SHUTDOWN", timeout: .seconds(2)) {
                upstream.routeDetail().contains("(65535,0)")
            }
            try upstream.seconds(until: "the drained edge withdrew", timeout: .seconds(5)) { !upstream.hasRoute }
            let status = try net.lab.run(in: net.edge, [net.moat, "edge", "bgp"])
            #expect(status.stdout.contains("drain: withdrawn"), "\(status.stdout)")
            #expect(try net.lab.run(in: net.edge, [net.moat, "edge", "undrain"]).succeeded)
            try upstream.seconds(until: "the undrained edge announces again") {
                let detail = upstream.routeDetail()
                return !detail.isEmpty && !detail.contains("(65535,0)")
            }
        }
    }

    @Test func aGracefulRestartKeepsTheRouteAndAKilledEdgeLosesIt() async throws {
        guard Self.canRun("aGracefulRestartKeepsTheRouteAndAKilledEdgeLosesIt") else { return }
        try await Self.withEdge(gracefulRestart: true) { net, upstream in
            try advertise(net, true)
            try upstream.seconds(until: "BIRD has the route") { upstream.hasRoute }

            // SIGTERM: the session closes without a NOTIFICATION; BIRD keeps the route (stale)
            // while the edge is away, and has it again once the edge is back.
            try net.restartEdge(signal: SIGTERM, startAgain: false)
            for _ in 0..<10 {
                #expect(upstream.hasRoute, "BIRD dropped the route while the edge restarted")
                usleep(100_000)
            }
            try net.restartEdge(signal: SIGTERM, startAgain: true)
            try upstream.seconds(until: "the session is Established again", timeout: .seconds(15)) { upstream.established }
            #expect(upstream.hasRoute)

            // Without graceful restart, a killed edge's routes go: at once when the kernel
            // closes the connection, at the latest after the hold time (6 s).
            let peers = try net.client(["bgp-peers", "list", "--location", "local", "--json"])
            let id = try #require(peers.stdout.split(separator: "\"").first { $0.hasPrefix("bgp_") }.map(String.init))
            #expect(try net.client(["bgp-peers", "update", id, "--location", "local", "--graceful-restart", "false"]).succeeded)
            try upstream.seconds(until: "the session is Established without graceful restart", timeout: .seconds(15)) {
                upstream.established && upstream.hasRoute && !upstream.neighborCapabilities.contains("Graceful restart")
            }
            try net.restartEdge(signal: SIGKILL, startAgain: false)
            let gone = try upstream.seconds(until: "the killed edge's route is gone", timeout: .seconds(8)) { !upstream.hasRoute }
            #expect(gone <= 7)
        }
    }

    /// The router connects to the edge (a passive peer, listening on port 179) over IPv6 with
    /// an MD5 key, and learns the account's IPv6 prefix with the edge's IPv6 address as next hop.
    @Test func aPassiveIPv6PeerWithMD5LearnsTheIPv6Prefix() async throws {
        guard Self.canRun("aPassiveIPv6PeerWithMD5LearnsTheIPv6Prefix") else { return }
        let active = """
        protocol bgp moat6 {
            local 2001:db8:18::2 as 64512;
            neighbor 2001:db8:18::1 as 65010;
            hold time 6;
            connect delay time 1;
            connect retry time 2;
            password "v6-secret";
            ipv6 { import all; export none; };
        }
        """
        try await Self.withEdge(gracefulRestart: true, upstreamMore: active) { net, upstream in
            let peer = try net.client(["bgp-peers", "create", "upstream6", "--location", "local", "--peer-address", "2001:db8:18::2",
                                       "--peer-asn", "64512", "--local-asn", "65010", "--passive", "true", "--md5-key", "v6-secret",
                                       "--hold-time", "6"])
            #expect(peer.succeeded, "bgp-peers create: \(peer.stderr)")
            try upstream.seconds(until: "BIRD's active IPv6 session is Established", timeout: .seconds(20)) { upstream.isEstablished("moat6") }

            let prefix = "2001:db8:100::/48"
            let created = try net.client(["prefixes", "create", prefix, "--account", net.account, "--json"])
            let id = try #require((try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: Any])?["id"] as? String)
            #expect(try net.client(["prefixes", "update", id, "--status", "approved", "--advertised", "true", "--account", net.account]).succeeded)
            _ = try net.createRoute(via: net.tunnels[0], priority: 100, prefix: prefix)
            try upstream.seconds(until: "BIRD has the IPv6 prefix") {
                ((try? upstream.birdc("show route \(prefix) protocol moat6")) ?? "").contains(prefix)
            }
            let detail = try upstream.birdc("show route all \(prefix) protocol moat6")
            #expect(detail.contains("BGP.as_path: 65010"), "\(detail)")
            #expect(detail.contains("BGP.next_hop: 2001:db8:18::1"), "\(detail)")
            // The IPv4 session has no IPv6 next hop configured, so it does not carry the prefix.
            #expect(!((try? upstream.birdc("show route \(prefix) protocol moat")) ?? "").contains(prefix))
        }
    }
}
