import Firewall
import Foundation
import LinuxNet
import NetLab

#if canImport(Glibc)
import Glibc
#endif

/// Two namespaces joined by a veth: the sender writes Ethernet frames straight onto its end
/// with an AF_PACKET socket (no stack of its own in the way), the receiver runs the compiled
/// ruleset at prerouting and counts what it saw and what got through.
///
/// Receiver's table `inet fwk`:
/// - `pre` (prerouting, -300, like the edge's dispatch): counts frames from our fake source
///   MAC as `seen`, then jumps to the account chain;
/// - `post` (prerouting, -250): counts the ones the account chain did not drop as `passed`.
/// Nothing else is loaded there, so no conntrack or defragmentation runs before the rules.
final class FirewallKernelLab {
    static let table = "fwk"
    static let receiverInterface = "fwkr"
    static let senderInterface = "fwks"
    static let receiverMAC: [UInt8] = [0x02, 0x6D, 0x6F, 0x61, 0x74, 0x02]
    static let senderMAC: [UInt8] = [0x02, 0x6D, 0x6F, 0x61, 0x74, 0x01]

    struct Counters: Equatable, CustomStringConvertible {
        var seen: Int
        var passed: Int
        /// By rule id: the sum of every counter tagged `rule:<id>`.
        var hits: [String: Int]

        var description: String {
            "seen \(seen), passed \(passed), hits \(hits.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
        }
    }

    let lab: Lab
    let sender: Namespace
    let receiver: Namespace
    private let socket: Int32
    private let address: [UInt8]
    private let rulesetPath: String

    init(lab: Lab) throws {
        self.lab = lab
        sender = try lab.addNamespace("fwsend")
        receiver = try lab.addNamespace("fwrecv")
        // The sender has no stack on the link: no IPv6 router solicitations or MLD reports.
        try lab.setSysctl("net.ipv6.conf.default.disable_ipv6", to: "1", in: sender)
        try lab.setSysctl("net.ipv6.conf.all.disable_ipv6", to: "1", in: sender)
        try lab.setSysctl("net.ipv4.ip_forward", to: "0", in: receiver)
        try lab.setSysctl("net.ipv6.conf.all.forwarding", to: "0", in: receiver)
        let link = try lab.addLink(sender, interface: Self.senderInterface, to: receiver, interface: Self.receiverInterface)
        try lab.exec(in: receiver, ["ip", "link", "set", "dev", Self.receiverInterface, "address",
                                    Self.receiverMAC.map { String(format: "%02x", $0) }.joined(separator: ":")])
        try lab.addAddress("198.19.255.1/24", to: link.b)
        try lab.addAddress("2001:2:0:fe::1/64", to: link.b)
        let index = try Self.interfaceIndex(lab: lab, namespace: sender, interface: Self.senderInterface)
        socket = try Self.packetSocket(namespace: sender.name)
        // struct sockaddr_ll: family, protocol, ifindex, hatype, pkttype, halen, addr[8].
        var address = [UInt8](repeating: 0, count: 20)
        withUnsafeBytes(of: UInt16(AF_PACKET)) { address.replaceSubrange(0..<2, with: $0) }
        withUnsafeBytes(of: index) { address.replaceSubrange(4..<8, with: $0) }
        address[11] = 6
        address.replaceSubrange(12..<18, with: Self.receiverMAC)
        self.address = address
        rulesetPath = NSTemporaryDirectory() + "/\(lab.prefix)-fwk.nft"
    }

    deinit {
        close(socket)
        try? FileManager.default.removeItem(atPath: rulesetPath)
    }

    /// The whole receiver ruleset for `program` (which replaces the previous one and
    /// zeroes every counter).
    static func ruleset(_ program: NftProgram, chain: String, lists: [String]) -> String {
        let match = "iifname \"\(receiverInterface)\" ether saddr \(senderMAC.map { String(format: "%02x", $0) }.joined(separator: ":"))"
        return "flush ruleset\n" + program.render(table: table, extraSets: lists) + """
            table inet \(table) {
            \tchain pre {
            \t\ttype filter hook prerouting priority -300; policy accept;
            \t\t\(match) counter jump \(chain) comment "seen"
            \t}
            \tchain post {
            \t\ttype filter hook prerouting priority -250; policy accept;
            \t\t\(match) counter comment "passed"
            \t}
            }

            """
    }

    func load(_ ruleset: String) throws {
        try Data(ruleset.utf8).write(to: URL(fileURLWithPath: rulesetPath))
        try lab.exec(in: receiver, ["nft", "-f", rulesetPath], timeout: .seconds(30))
    }

    /// Loads `ruleset` (fresh counters), sends `packets` in order, waits until the receiver
    /// has seen them all, and returns the counters.
    func run(_ ruleset: String, _ packets: [FirewallKernelPacket], rules: [String], load: Bool = true) throws -> Counters {
        if load { try self.load(ruleset) }
        try send(packets)
        let deadline = ContinuousClock.now + .seconds(10)
        var counters = try read()
        while counters.seen < packets.count && ContinuousClock.now < deadline {
            usleep(20_000)
            counters = try read()
        }
        // A rule that can never match compiles to no nft rule, hence no counter.
        for rule in rules where counters.hits[rule] == nil { counters.hits[rule] = 0 }
        return counters
    }

    func send(_ packets: [FirewallKernelPacket]) throws {
        for (index, packet) in packets.enumerated() {
            let frame = packet.frame(destinationMAC: Self.receiverMAC, sourceMAC: Self.senderMAC)
            var attempts = 0
            while true {
                let sent = frame.withUnsafeBytes { bytes in
                    address.withUnsafeBytes { address in
                        sendto(socket, bytes.baseAddress, bytes.count, 0,
                               address.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(address.count))
                    }
                }
                if sent == frame.count { break }
                let error = errno
                attempts += 1
                guard (error == ENOBUFS || error == EAGAIN) && attempts < 100 else {
                    throw FirewallKernelError("sendto failed on packet \(index) (\(packet.summary)): \(String(cString: strerror(error)))")
                }
                usleep(1_000)
            }
        }
    }

    func read() throws -> Counters {
        let result = try lab.run(in: receiver, ["nft", "-j", "list", "table", "inet", Self.table], timeout: .seconds(30))
        guard result.succeeded else {
            throw FirewallKernelError("\(result) reading the counters: \(result.stderr)")
        }
        guard let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any],
              let objects = json["nftables"] as? [[String: Any]] else {
            throw FirewallKernelError("cannot read `nft -j list table` output: \(result.stdout.prefix(300))")
        }
        var counters = Counters(seen: 0, passed: 0, hits: [:])
        for object in objects {
            guard let rule = object["rule"] as? [String: Any], let comment = rule["comment"] as? String,
                  let statements = rule["expr"] as? [[String: Any]] else { continue }
            let packets = statements.compactMap { ($0["counter"] as? [String: Any])?["packets"] as? Int }.reduce(0, +)
            switch comment {
            case "seen": counters.seen += packets
            case "passed": counters.passed += packets
            case let tag where tag.hasPrefix("rule:"): counters.hits[String(tag.dropFirst(5)), default: 0] += packets
            default: break
            }
        }
        return counters
    }

    private static func interfaceIndex(lab: Lab, namespace: Namespace, interface: String) throws -> Int32 {
        let result = try lab.exec(in: namespace, ["ip", "-j", "link", "show", "dev", interface])
        guard let links = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]],
              let index = links.first?["ifindex"] as? Int else {
            throw FirewallKernelError("no ifindex for \(interface) in `ip -j link` output: \(result.stdout)")
        }
        return Int32(index)
    }

    /// An AF_PACKET socket that lives in `namespace`: made on a thread that entered the
    /// namespace (a socket keeps the namespace it was made in), so this process stays put.
    private static func packetSocket(namespace: String) throws -> Int32 {
        final class Outcome: @unchecked Sendable {
            var socket: Int32 = -1
            var error = ""
        }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            let target = open("/var/run/netns/\(namespace)", O_RDONLY | O_CLOEXEC)
            let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
            defer {
                if target >= 0 { close(target) }
                if home >= 0 { close(home) }
            }
            guard target >= 0, home >= 0 else {
                outcome.error = "cannot open the namespace files: \(String(cString: strerror(errno)))"
                return
            }
            // Glibc's module does not export setns(2) (it needs _GNU_SOURCE): look it up.
            typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(nil, "setns") else {
                outcome.error = "setns is not in the C library"
                return
            }
            let setns = unsafeBitCast(symbol, to: SetNamespace.self)
            let newNetworkNamespace: Int32 = 0x4000_0000  // CLONE_NEWNET
            guard setns(target, newNetworkNamespace) == 0 else {
                outcome.error = "setns into \(namespace): \(String(cString: strerror(errno)))"
                return
            }
            // Protocol 0: send only, the socket receives nothing.
            outcome.socket = Glibc.socket(AF_PACKET, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if outcome.socket < 0 { outcome.error = "socket(AF_PACKET): \(String(cString: strerror(errno)))" }
            var size: Int32 = 4 << 20
            _ = setsockopt(outcome.socket, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            if setns(home, newNetworkNamespace) != 0 {
                outcome.error = "setns back: \(String(cString: strerror(errno)))"
            }
        }
        thread.start()
        done.wait()
        guard outcome.socket >= 0, outcome.error.isEmpty else {
            if outcome.socket >= 0 { close(outcome.socket) }
            throw FirewallKernelError(outcome.error)
        }
        return outcome.socket
    }
}

struct FirewallKernelError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
