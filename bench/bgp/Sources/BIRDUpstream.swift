import Foundation
import LinuxNet
import NetLab

/// Two namespaces joined by a veth: `up` runs BIRD 2 (passive, imports everything), `speaker`
/// runs whichever speaker is measured. BIRD is asked through its control socket, which lives
/// in the filesystem, so `birdc` runs without entering the namespace.
struct BIRDUpstream {
    static let routerAddress = "10.90.0.1"
    static let speakerAddress = "10.90.0.2"
    static let speakerAddressV6 = "fd00:90::2"
    static let routerAS: UInt32 = 64512
    static let speakerAS: UInt32 = 65010

    let lab: Lab
    let upstream: Namespace
    let speaker: Namespace
    let directory: String
    var socket: String { directory + "/bird.ctl" }

    init(lab: Lab, directory: String) throws {
        self.lab = lab
        self.directory = directory
        upstream = try lab.addNamespace("up")
        speaker = try lab.addNamespace("speaker")
        let link = try lab.addLink(upstream, interface: "eth0", to: speaker, interface: "eth0")
        try lab.addAddress(Self.routerAddress + "/30", to: link.a)
        try lab.addAddress(Self.speakerAddress + "/30", to: link.b)
        try lab.addAddress("fd00:90::1/64", to: link.a)
        try lab.addAddress(Self.speakerAddressV6 + "/64", to: link.b)
        let config = """
        router id \(Self.routerAddress);
        protocol device { scan time 10; }
        protocol bgp moat {
            local \(Self.routerAddress) as \(Self.routerAS);
            neighbor \(Self.speakerAddress) as \(Self.speakerAS);
            passive on;
            hold time 90;
            ipv4 { import all; export none; };
            ipv6 { import all; export none; };
        }
        """
        try config.write(toFile: directory + "/bird.conf", atomically: true, encoding: .utf8)
        try lab.start(in: upstream, ["bird", "-f", "-c", directory + "/bird.conf", "-s", socket, "-P", directory + "/bird.pid"])
        let deadline = ContinuousClock.now + .seconds(10)
        while (try? Command("birdc", ["-s", socket, "show", "status"], timeout: .seconds(5)).check()) == nil {
            guard ContinuousClock.now < deadline else { throw BenchError("BIRD did not answer on \(socket) within 10 s") }
            usleep(50_000)
        }
    }

    /// The session state and the routes imported over both channels, from `show protocols all`.
    struct Status {
        var established: Bool
        var imported: Int
    }

    func status() throws -> Status {
        let output = try Command("birdc", ["-s", socket, "show", "protocols", "all", "moat"], timeout: .seconds(10)).check().stdout
        var imported = 0
        for line in output.split(separator: "\n") where line.contains("Routes:") {
            // "    Routes:         5000 imported, 0 exported, 5000 preferred"
            let words = line.split(separator: " ")
            if let index = words.firstIndex(where: { $0.hasPrefix("imported") }), index > 0, let count = Int(words[index - 1]) {
                imported += count
            }
        }
        return Status(established: output.contains("BGP state:          Established"), imported: imported)
    }

    /// Restarts BIRD's side of the session, so that the next connection is not held back by
    /// the delay BIRD keeps after a session went down; returns once BIRD listens again.
    func restartSession(timeout: Duration) throws {
        try Command("birdc", ["-s", socket, "restart", "moat"], timeout: .seconds(10)).check()
        _ = try waitUntil("BIRD listening again", timeout: timeout) {
            try Command("birdc", ["-s", socket, "show", "protocols", "all", "moat"], timeout: .seconds(10)).check().stdout
                .contains("BGP state:          Passive")
        }
    }

    /// Polls BIRD every `interval` until `condition` holds; the seconds since `start`.
    @discardableResult
    func waitUntil(_ what: String, from start: ContinuousClock.Instant = .now, timeout: Duration, interval: Duration = .milliseconds(10),
                   _ condition: () throws -> Bool) throws -> Double {
        while ContinuousClock.now - start < timeout {
            if try condition() { return (ContinuousClock.now - start).seconds }
            Thread.sleep(forTimeInterval: interval.seconds)
        }
        throw BenchError("timed out after \(timeout) waiting for \(what)")
    }

    /// Watches BIRD from `start` until it has imported `count` routes: when the session came up
    /// and when the last route arrived, in seconds since `start`.
    func timeToImport(_ count: Int, from start: ContinuousClock.Instant, timeout: Duration) throws -> (established: Double, all: Double) {
        var established: Double?
        var last = Status(established: false, imported: 0)
        do {
            let all = try waitUntil("\(count) routes in BIRD", from: start, timeout: timeout) {
                last = try status()
                if last.established, established == nil { established = (ContinuousClock.now - start).seconds }
                return last.imported >= count
            }
            return (established ?? all, all)
        } catch let error as BenchError {
            throw BenchError("\(error); BIRD had \(last.imported), session \(last.established ? "established" : "not established")")
        }
    }

    /// Waits until BIRD holds no route from the speaker and the session is down.
    func waitUntilEmpty(timeout: Duration) throws {
        try waitUntil("BIRD to drop the routes", timeout: timeout, interval: .milliseconds(50)) {
            let now = try status()
            return now.imported == 0 && !now.established
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
