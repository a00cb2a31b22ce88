import Foundation
import LinuxNet
import Testing

/// `moat firewall test` on a capture the test writes: the verdicts, deciding rules and hit
/// counts a user reads, from a rules file (offline) and from an account through the API.
@Suite(.serialized, .timeLimit(.minutes(2)), .onLabThreads)
struct FirewallPcapCLITests {
    /// Seven frames: three DNS queries from one source 0.1 s apart, SSH from the office and
    /// from elsewhere, an ARP frame, and HTTPS over IPv6.
    static func capture() -> [UInt8] {
        let dns = ipv4(from: [198, 51, 100, 7], to: [203, 0, 113, 10], proto: 17, transport: be16(5353) + be16(53) + be16(8) + [0, 0])
        let officeSSH = ipv4(from: [198, 51, 100, 7], to: [203, 0, 113, 10], proto: 6, transport: tcp(40000, 22))
        let strangerSSH = ipv4(from: [192, 0, 2, 1], to: [203, 0, 113, 10], proto: 6, transport: tcp(40001, 22))
        let https6 = [0x60, 0, 0, 0] + be16(20) + [6, 64] + [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [1]
            + [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [2] + tcp(40002, 443)
        let arp = [0, 1, 8, 0, 6, 4, 0, 1] + Array(repeating: UInt8(0), count: 20)
        let frames: [(Double, UInt16, [UInt8])] = [
            (0.0, 0x0800, dns), (0.1, 0x0800, dns), (0.2, 0x0800, dns),
            (0.3, 0x0800, officeSSH), (0.4, 0x0800, strangerSSH), (0.45, 0x0806, arp), (0.5, 0x86DD, https6),
        ]
        // Classic pcap, little-endian, microseconds, Ethernet.
        var file = le32(0xA1B2_C3D4) + [2, 0, 4, 0] + le32(0) + le32(0) + le32(65535) + le32(1)
        for (offset, type, payload) in frames {
            let frame = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2] + be16(type) + payload
            let micros = UInt32((offset * 1_000_000).rounded())
            file += le32(1_700_000_000) + le32(micros) + le32(UInt32(frame.count)) + le32(UInt32(frame.count)) + frame
        }
        return file
    }

    static let rules = """
    # SSH only from the office; DNS at most 1/s per source, burst 1
    log ip.proto == udp
    allow tcp.dstport == 22 and ip.src in $office
    block tcp.dstport == 22

    rate_limit 1/1 udp.dstport == 53
    """

    @Test func rulesFromAFile() throws {
        let directory = MoatBinary.temporaryDirectory("fw-pcap")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pcap = directory.appendingPathComponent("capture.pcap").path
        try Data(Self.capture()).write(to: URL(fileURLWithPath: pcap))
        try Self.rules.write(toFile: directory.appendingPathComponent("rules.txt").path, atomically: true, encoding: .utf8)
        try "# the office\n198.51.100.0/24\n".write(toFile: directory.appendingPathComponent("office.txt").path, atomically: true, encoding: .utf8)
        let arguments = ["firewall", "test", "--pcap", pcap, "--rules", directory.appendingPathComponent("rules.txt").path,
                         "--list", "office=\(directory.appendingPathComponent("office.txt").path)"]

        let text = try MoatBinary.client(arguments, environment: [:])
        #expect(text.succeeded, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        #expect(lines.contains("1 0.000000 198.51.100.7:5353 → 203.0.113.10:53 udp len 28 allow default (logged by 1 rules.txt:2)"), "\(text.stdout)")
        #expect(lines.contains("3 0.200000 198.51.100.7:5353 → 203.0.113.10:53 udp len 28 block 4 rules.txt:6 (logged by 1 rules.txt:2)"))
        #expect(lines.contains("4 0.300000 198.51.100.7:40000 → 203.0.113.10:22 tcp [S] len 40 allow 2 rules.txt:3"))
        #expect(lines.contains("5 0.400000 192.0.2.1:40001 → 203.0.113.10:22 tcp [S] len 40 block 3 rules.txt:4"))
        #expect(lines.contains("7 0.500000 [2001:db8::1]:40002 → [2001:db8::2]:443 tcp [S] len 60 allow default"))
        #expect(lines.contains("4 rules.txt:6 rate_limit 1/s burst 1 1 udp.dstport == 53"))
        #expect(lines.contains("1 rules.txt:2 log 3 ip.proto == udp"))
        #expect(lines.contains { $0.hasPrefix("6 packets: 4 allowed (3 by default), 2 blocked; 1 frame skipped (not IP)") })

        let json = try MoatBinary.client(arguments + ["--json"], environment: [:])
        #expect(json.succeeded, "\(json.stderr)")
        let report = jsonObject(json.stdout)
        let packets = report["packets"] as? [[String: Any]] ?? []
        #expect(packets.map { $0["index"] as? Int } == [1, 2, 3, 4, 5, 7])
        #expect(packets.map { $0["verdict"] as? String } == ["allow", "allow", "block", "allow", "block", "allow"])
        #expect(packets.map { ($0["rule"] as? [String: Any])?["position"] as? Int } == [nil, nil, 4, 2, 3, nil])
        let rules = report["rules"] as? [[String: Any]] ?? []
        #expect(rules.map { $0["hits"] as? Int } == [3, 1, 1, 1])
        #expect((report["totals"] as? [String: Any])?["skipped_frames"] as? Int == 1)
    }

    @Test func aBadRuleOrCaptureExitsWithItsPlace() throws {
        let directory = MoatBinary.temporaryDirectory("fw-pcap-bad")
        defer { try? FileManager.default.removeItem(at: directory) }
        let pcap = directory.appendingPathComponent("capture.pcap").path
        try Data(Self.capture()).write(to: URL(fileURLWithPath: pcap))
        let rules = directory.appendingPathComponent("rules.txt").path
        try "allow ip.proto == icmp\nblock tcp.dstport == 70000\n".write(toFile: rules, atomically: true, encoding: .utf8)

        let badRule = try MoatBinary.client(["firewall", "test", "--pcap", pcap, "--rules", rules], environment: [:])
        #expect(badRule.exitStatus == 1)
        #expect(badRule.stderr.contains("rule 2 (rules.txt:2) does not check:\ntcp.dstport == 70000\n               ^^^^^\nerror[number_out_of_range]"), "\(badRule.stderr)")

        try "block tcp.dstport == 22\n".write(toFile: rules, atomically: true, encoding: .utf8)
        let truncated = directory.appendingPathComponent("short.pcap").path
        try Data(Self.capture().dropLast(3)).write(to: URL(fileURLWithPath: truncated))
        let badCapture = try MoatBinary.client(["firewall", "test", "--pcap", truncated, "--rules", rules], environment: [:])
        #expect(badCapture.exitStatus == 1)
        #expect(badCapture.stderr.contains("record 7: its header says 74 captured bytes but only 71 remain (at byte offset"), "\(badCapture.stderr)")
    }

    @Test func rulesAndListsOfAnAccount() throws {
        let data = MoatBinary.temporaryDirectory("fw-pcap-api")
        defer { try? FileManager.default.removeItem(at: data) }
        let port = MoatBinary.freePort()
        var core = try ChildProcess.start(MoatBinary.path, ["core", "--data", data.appendingPathComponent("store").path, "--listen", "127.0.0.1:\(port)"],
                                          logPath: data.appendingPathComponent("core.log").path)
        defer { core.terminate(grace: .seconds(1)) }
        try MoatBinary.waitUntil("core listens") { MoatBinary.log(core).contains("listening on") }
        let token = try String(contentsOf: data.appendingPathComponent("store/operator-token"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let environment = ["MOAT_URL": "http://127.0.0.1:\(port)", "MOAT_TOKEN": token]
        func cli(_ arguments: [String]) throws -> CommandResult {
            let result = try MoatBinary.client(arguments, environment: environment)
            #expect(result.succeeded, "\(arguments): \(result.stderr)")
            return result
        }

        let account = try #require(jsonObject(try cli(["accounts", "create", "acme", "--json"]).stdout)["id"] as? String)
        _ = try cli(["firewall", "lists", "create", "office", "--item", "198.51.100.0/24", "--account", account])
        let allow = try #require(jsonObject(try cli(["firewall", "rules", "create", "tcp.dstport == 22 and ip.src in $office", "--action", "allow",
                                                     "--account", account, "--json"]).stdout)["id"] as? String)
        let block = try #require(jsonObject(try cli(["firewall", "rules", "create", "tcp.dstport == 22", "--account", account, "--json"]).stdout)["id"] as? String)
        _ = try cli(["firewall", "rules", "create", "ip.proto == icmp", "--enabled", "false", "--account", account])
        let pcap = data.appendingPathComponent("capture.pcap").path
        try Data(Self.capture()).write(to: URL(fileURLWithPath: pcap))

        let result = try cli(["firewall", "test", "--pcap", pcap, "--account", account, "--json"])
        let report = jsonObject(result.stdout)
        let packets = report["packets"] as? [[String: Any]] ?? []
        #expect(packets.map { $0["verdict"] as? String } == ["allow", "allow", "allow", "allow", "block", "allow"])
        #expect(packets.map { ($0["rule"] as? [String: Any])?["id"] as? String } == [nil, nil, nil, allow, block, nil])
        // The disabled rule is not evaluated, so not listed.
        let rules = report["rules"] as? [[String: Any]] ?? []
        #expect(rules.map { $0["id"] as? String } == [allow, block])
        #expect(rules.map { $0["hits"] as? Int } == [1, 1])
    }
}

private func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
private func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }

private func tcp(_ source: UInt16, _ destination: UInt16) -> [UInt8] {
    be16(source) + be16(destination) + [0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xFF, 0xFF, 0, 0, 0, 0]
}

private func ipv4(from source: [UInt8], to destination: [UInt8], proto: UInt8, transport: [UInt8]) -> [UInt8] {
    [0x45, 0] + be16(UInt16(20 + transport.count)) + [0, 0, 0, 0, 64, proto, 0, 0] + source + destination + transport
}
