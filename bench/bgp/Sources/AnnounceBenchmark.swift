import ArgumentParser
import Foundation
import LinuxNet
import NetLab

/// Time to announce N prefixes (half IPv4 /24, half IPv6 /48) to BIRD, Moat's speaker beside
/// GoBGP, until BIRD's `show protocols all` counts them all imported:
/// - update → all: the session is up with nothing announced, then everything at once
///   (Moat: `BGPSessionRunner.update`; GoBGP: one `gobgp mrt inject global` run, timed with it);
/// - connect → all: the speaker starts the session with everything in its RIB (Moat: a new
///   runner; GoBGP: `gobgp neighbor ADDR enable`). The time to Established is printed apart,
///   since each speaker waits its own way before connecting.
struct AnnounceBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "announce",
        abstract: "Time until BIRD has imported N announced prefixes: Moat beside GoBGP.")

    @Option(help: "Prefixes announced, half IPv4 /24 and half IPv6 /48.")
    var prefixes = 10_000

    @Option(help: "Rounds per speaker; the median is reported.")
    var rounds = 3

    @Option(help: "Seconds any single wait may take before the run gives up.")
    var timeout = 60

    @Flag(help: "Keep the lab's logs (BIRD's and gobgpd's) and print where they are.")
    var keepLogs = false

    func validate() throws {
        guard (2...BenchPrefixes.maximum).contains(prefixes) else { throw ValidationError("--prefixes must be 2...\(BenchPrefixes.maximum)") }
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds must be 1...20") }
        guard (5...600).contains(timeout) else { throw ValidationError("--timeout must be 5...600") }
    }

    func run() throws {
        guard SystemUser.isRoot else { throw BenchError("bench/bgp needs root: it creates network namespaces (try sudo)") }
        for (tool, package) in [("ip", "iproute2"), ("bird", "bird2"), ("birdc", "bird2"), ("gobgpd", "gobgpd"), ("gobgp", "gobgpd")]
        where !Command.isInstalled(tool) {
            throw BenchError("'\(tool)' is not installed (apt-get install -y \(package))")
        }
        let directory = NSTemporaryDirectory() + "/moat-bench-bgp-\(ProcessTable.currentPID)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lab = Lab(base: "moatbb", keepLogs: keepLogs)
        defer { lab.teardown() }
        _ = Lab.removeStale(prefix: "moatbb")
        try measure(lab: lab, directory: directory)
    }

    private func measure(lab: Lab, directory: String) throws {
        let list = BenchPrefixes.make(prefixes)
        let limit = Duration.seconds(timeout)
        print("bench/bgp announce — time until BIRD has imported \(prefixes) prefixes (\(prefixes / 2) IPv4 /24, \(prefixes - prefixes / 2) IPv6 /48)")
        print("machine: \(ProcessInfo.processInfo.activeProcessorCount) cores, \(Self.version("/proc/sys/kernel/osrelease", prefix: "Linux ")); "
              + "\(Self.firstLine(["bird", "--version"])), \(Self.firstLine(["gobgpd", "--version"]))")
        if keepLogs { print("logs: \(lab.logDirectory)") }

        let bird = try BIRDUpstream(lab: lab, directory: directory)
        var moat: [RoundResult] = []
        for _ in 0..<rounds { moat.append(try MoatSpeaker.round(bird, prefixes: list, timeout: limit)) }

        let mrt = directory + "/prefixes.mrt"
        try MRTFile.write(list, nextHopV4: MoatSpeaker.announcement([]).nextHopV4!, nextHopV6: MoatSpeaker.announcement([]).nextHopV6!,
                          communities: [BenchPrefixes.community], to: mrt)
        let gobgpd = try GoBGPSpeaker(bird, mrt: mrt)
        var gobgp: [RoundResult] = []
        for _ in 0..<rounds { gobgp.append(try gobgpd.round(prefixes: prefixes, timeout: limit)) }
        report(moat: moat, gobgp: gobgp)
    }

    private func report(moat: [RoundResult], gobgp: [RoundResult]) {
        print("")
        print("   " + pad("speaker", 9) + pad("measurement", 24) + pad("prefixes", 10, right: true) + pad("seconds", 10, right: true)
              + pad("prefixes/s", 12, right: true) + pad("ratio", 8, right: true) + "   all rounds (s)")
        let rows: [(String, KeyPath<RoundResult, Double>)] = [("update → all in table", \.update), ("connect → all in table", \.connect),
                                                             ("connect → Established", \.connectToEstablished),
                                                             ("Established → all", \.establishedToAll)]
        for (name, field) in rows {
            let peer = median(gobgp.map { $0[keyPath: field] })
            for (speaker, results) in [("Moat", moat), ("GoBGP", gobgp)] {
                let seconds = results.map { $0[keyPath: field] }
                let value = median(seconds)
                // Below BIRD's polling resolution a rate says nothing.
                let rate = field == \RoundResult.connectToEstablished || value < 0.01 ? "" : String(format: "%.0f", Double(prefixes) / value)
                print("   " + pad(speaker, 9) + pad(name, 24) + pad(String(prefixes), 10, right: true) + pad(String(format: "%.3f", value), 10, right: true)
                      + pad(rate, 12, right: true) + pad(String(format: "%.2f", value / peer), 8, right: true)
                      + "   " + seconds.map { String(format: "%.3f", $0) }.joined(separator: ", "))
            }
        }
        print("")
        print("   ratio: seconds / GoBGP's seconds (below 1: Moat is faster). Median of \(rounds) rounds; BIRD polled every ~10 ms (plus birdc's own run),")
        print("   so figures under 0.01 s mean \"by the first poll\", and no rate is given for them.")
        print("   GoBGP: the paths streamed from an MRT file by one `gobgp mrt inject global` run, counted from its start.")
    }

    private func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    private func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }

    static func version(_ file: String, prefix: String) -> String {
        (try? String(contentsOfFile: file, encoding: .utf8)).map { prefix + $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? "unknown"
    }

    /// The first line a program prints about its version (BIRD prints it on stderr).
    static func firstLine(_ arguments: [String]) -> String {
        guard let result = try? Command(arguments[0], Array(arguments.dropFirst()), timeout: .seconds(5)).run() else { return arguments[0] + " ?" }
        return (result.stdout + result.stderr).split(separator: "\n").first.map(String.init) ?? arguments[0] + " ?"
    }
}
