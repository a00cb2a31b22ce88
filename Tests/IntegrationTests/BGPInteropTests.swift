import BGP
import Foundation
import LinuxNet
import MoatModel
import NetLab
import Synchronization
import Testing

/// Moat's BGP speaker against BIRD 2 as the upstream router, in network namespaces: the session
/// reaches Established, BIRD's table shows exactly the announced IPv4 and IPv6 prefixes with Moat's AS
/// path, next hop and communities, a changed announcement shows up there, and a wrong TCP MD5
/// key gives no session.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct BGPInteropTests {
    static func canRun(_ test: String) -> Bool {
        guard SystemUser.isRoot, Command.isInstalled("bird"), Command.isInstalled("birdc") else {
            print("BGPInteropTests.\(test) skipped: needs root and BIRD 2 (apt-get install bird2) to run a peer in a namespace")
            return false
        }
        return true
    }

    static func birdConfig(socketDirectory: String, md5: String?) -> String {
        """
        router id 10.90.0.1;
        log "\(socketDirectory)/bird.log" all;
        protocol device { scan time 1; }
        protocol bgp moat {
            local 10.90.0.1 as 64512;
            neighbor 10.90.0.2 as 65010;
            passive on;
            hold time 9;
            \(md5.map { "password \"\($0)\";" } ?? "")
            ipv4 { import all; export none; };
            ipv6 { import all; export none; };
        }
        """
    }

    /// Starts the speaker on a thread inside `namespace`; the runner's own thread starts there too.
    static func startSpeaker(in namespace: Namespace, md5: String?, announcement: Announcement) throws -> BGPSessionRunner {
        let result = Mutex<Result<BGPSessionRunner, any Error>?>(nil)
        let thread = Thread {
            do {
                try NetworkNamespace.enter(namespace.name)
                let configuration = SessionConfiguration(localAS: 65010, peerAS: 64512, identifier: 0x0a5a_0002, holdTime: 9,
                                                         connectRetryTime: .seconds(1), idleHoldTime: .seconds(1), families: [.ipv4Unicast, .ipv6Unicast])
                let runner = BGPSessionRunner(configuration: configuration,
                                              peer: .init(address: .v4(0x0a5a_0001), localAddress: .v4(0x0a5a_0002), md5Key: md5),
                                              announcement: announcement)
                result.withLock { $0 = .success(runner) }
            } catch {
                result.withLock { $0 = .failure(error) }
            }
        }
        thread.start()
        while true {
            if let outcome = result.withLock({ $0 }) { return try outcome.get() }
            usleep(10_000)
        }
    }

    static func withBIRD(md5Bird: String?, _ body: (Lab, Namespace, Namespace, () throws -> String) async throws -> Void) async throws {
        try await withLab { lab in
            let upstream = try lab.addNamespace("up")
            let edge = try lab.addNamespace("edge")
            let link = try lab.addLink(upstream, interface: "eth0", to: edge, interface: "eth0")
            try lab.addAddress("10.90.0.1/30", to: link.a)
            try lab.addAddress("10.90.0.2/30", to: link.b)
            try lab.addAddress("2001:db8:90::1/64", to: link.a)
            try lab.addAddress("2001:db8:90::2/64", to: link.b)
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moat-bird-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try birdConfig(socketDirectory: directory, md5: md5Bird).write(toFile: directory + "/bird.conf", atomically: true, encoding: .utf8)
            let socket = directory + "/bird.ctl"
            _ = try lab.start(in: upstream, ["bird", "-f", "-c", directory + "/bird.conf", "-s", socket, "-P", directory + "/bird.pid"])
            func birdc(_ command: String) throws -> String {
                try lab.run(in: upstream, ["birdc", "-s", socket] + command.split(separator: " ").map(String.init)).stdout
            }
            try await body(lab, upstream, edge, { try birdc("show route all") })
            _ = try? birdc("down")
        }
    }

    static func waitFor(_ what: String, timeout: Duration, _ condition: () throws -> Bool) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return }
            usleep(100_000)
        }
        Issue.record("timed out waiting for \(what)")
    }

    @Test func birdLearnsTheAnnouncedPrefixesAndTheirChanges() async throws {
        guard Self.canRun("birdLearnsTheAnnouncedPrefixesAndTheirChanges") else { return }
        try await Self.withBIRD(md5Bird: "s3cret") { _, _, edge, routes in
            let announcement = Announcement(prefixes: [CIDR("203.0.113.0/24")!, CIDR("198.51.100.0/24")!, CIDR("2001:db8:1000::/48")!],
                                            nextHopV4: IPAddress("10.90.0.2"), nextHopV6: IPAddress("2001:db8:90::2"),
                                            communities: [Community(65010, 100)])
            let speaker = try Self.startSpeaker(in: edge, md5: "s3cret", announcement: announcement)
            defer { speaker.stop() }
            try Self.waitFor("Established and both prefixes in BIRD", timeout: .seconds(20)) {
                let table = try routes()
                return table.contains("203.0.113.0/24") && table.contains("198.51.100.0/24") && table.contains("2001:db8:1000::/48")
            }
            #expect(speaker.state == .established)
            let table = try routes()
            #expect(table.contains("BGP.as_path: 65010"), "\(table)")
            #expect(table.contains("BGP.next_hop: 10.90.0.2"), "\(table)")
            #expect(table.contains("BGP.next_hop: 2001:db8:90::2"), "\(table)") // MP_REACH_NLRI (RFC 4760)
            #expect(table.contains("(65010,100)"), "\(table)")

            // Withdraw one, add another: BIRD's table follows.
            let start = ContinuousClock.now
            speaker.update(Announcement(prefixes: [CIDR("203.0.113.0/24")!, CIDR("192.0.2.0/24")!], nextHopV4: IPAddress("10.90.0.2"),
                                        nextHopV6: IPAddress("2001:db8:90::2")))
            try Self.waitFor("the change in BIRD", timeout: .seconds(5)) {
                let table = try routes()
                return table.contains("192.0.2.0/24") && !table.contains("198.51.100.0/24") && !table.contains("2001:db8:1000::/48")
            }
            #expect(ContinuousClock.now - start < .seconds(1))
        }
    }

    @Test func aWrongMD5KeyGivesNoSession() async throws {
        guard Self.canRun("aWrongMD5KeyGivesNoSession") else { return }
        try await Self.withBIRD(md5Bird: "right-key") { _, _, edge, routes in
            let speaker = try Self.startSpeaker(in: edge, md5: "wrong-key",
                                                announcement: Announcement(prefixes: [CIDR("203.0.113.0/24")!], nextHopV4: IPAddress("10.90.0.2")))
            defer { speaker.stop() }
            sleep(4)
            #expect(speaker.state != .established)
            #expect(!(try routes()).contains("203.0.113.0/24"))
        }
    }
}
