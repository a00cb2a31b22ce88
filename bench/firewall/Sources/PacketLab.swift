import Foundation
import LinuxNet
import NetLab

/// `src` → `dut` → `dst` over two veth pairs. The device under test forwards and holds the
/// `inet moat` table; trafgen in `src` sends one small UDP flow as fast as it can, and the
/// rate is what arrives on `dst`'s interface.
struct PacketLab {
    let lab: Lab
    let src: Namespace
    let dut: Namespace
    let dst: Namespace
    let destination: String
    private let config: String

    static let sender = "s0"
    static let receiver = "t0"

    init(lab: Lab, destination: String, destinationPrefix: String) throws {
        self.lab = lab
        self.destination = destination
        src = try lab.addNamespace("src")
        dut = try lab.addNamespace("dut")
        dst = try lab.addNamespace("dst")
        let left = try lab.addLink(src, interface: Self.sender, to: dut, interface: "d0")
        let right = try lab.addLink(dut, interface: "d1", to: dst, interface: Self.receiver)
        try lab.addAddress("\(RuleCorpus.probeSource)/30", to: left.a)
        try lab.addAddress("198.18.0.1/30", to: left.b)
        try lab.addAddress("198.18.1.1/30", to: right.a)
        try lab.addAddress("198.18.1.2/30", to: right.b)
        try lab.addAddress("\(destination)/32", to: right.b)
        try lab.addDefaultRoute(via: "198.18.0.1", in: src)
        try lab.addRoute(to: destinationPrefix, via: "198.18.1.2", in: dut)
        try lab.addDefaultRoute(via: "198.18.1.1", in: dst)
        try lab.setSysctl("net.ipv4.ip_forward", to: "1", in: dut)
        // Resolves ARP both ways and proves the path before anything is timed.
        try lab.exec(in: src, ["ping", "-c", "2", "-i", "0.2", "-W", "2", destination], timeout: .seconds(10))

        let senderMAC = try Self.read(lab, src, "/sys/class/net/\(Self.sender)/address")
        let gatewayMAC = try Self.read(lab, dut, "/sys/class/net/d0/address")
        // 14 + 20 + 8 + 18 = 60 bytes on the wire (64 with the FCS): the smallest Ethernet frame.
        let packet = """
        {
          eth(da=\(gatewayMAC), sa=\(senderMAC), type=0x0800),
          ipv4(saddr=\(RuleCorpus.probeSource), daddr=\(destination), ttl=64),
          udp(sport=\(RuleCorpus.probeSourcePort), dport=\(RuleCorpus.probePort)),
          fill(0x00, 18)
        }
        """
        try FileManager.default.createDirectory(atPath: lab.logDirectory, withIntermediateDirectories: true)
        config = lab.logDirectory + "/probe.trafgen"
        try packet.write(toFile: config, atomically: true, encoding: .utf8)
    }

    struct Sample {
        var sent: UInt64
        var received: UInt64
        var seconds: Double
        var receivedPerSecond: Double { Double(received) / seconds }
        var sentPerSecond: Double { Double(sent) / seconds }
    }

    /// Sends for `warmup + seconds`; counts only the last `seconds`.
    func measure(seconds: Double, warmup: Double = 1) throws -> Sample {
        let trafgen = Command.which("trafgen") ?? "trafgen"
        // One sender process (-P 1); --no-sock-mem and -Q: leave the host's socket memory and IRQ
        // affinity alone.
        let generator = try lab.start(in: src, [trafgen, "--dev", Self.sender, "--conf", config,
                                                "-P", "1", "--no-sock-mem", "-Q", "-C"])
        defer { generator.terminate(grace: .seconds(2)) }
        Thread.sleep(forTimeInterval: warmup)
        guard generator.isRunning else {
            throw BenchError("trafgen exited early; see \(generator.logPath)")
        }
        let sent0 = try counter(src, Self.sender, "tx_packets")
        let received0 = try counter(dst, Self.receiver, "rx_packets")
        let start = ContinuousClock.now
        Thread.sleep(forTimeInterval: seconds)
        let sent1 = try counter(src, Self.sender, "tx_packets")
        let received1 = try counter(dst, Self.receiver, "rx_packets")
        let elapsed = (ContinuousClock.now - start).seconds
        return Sample(sent: sent1 - sent0, received: received1 - received0, seconds: elapsed)
    }

    private func counter(_ namespace: Namespace, _ interface: String, _ name: String) throws -> UInt64 {
        let text = try Self.read(lab, namespace, "/sys/class/net/\(interface)/statistics/\(name)")
        guard let value = UInt64(text) else { throw BenchError("unreadable counter \(interface)/\(name): \(text)") }
        return value
    }

    private static func read(_ lab: Lab, _ namespace: Namespace, _ path: String) throws -> String {
        try lab.exec(in: namespace, ["cat", path], timeout: .seconds(5)).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var seconds: Double {
        let (s, attoseconds) = components
        return Double(s) + Double(attoseconds) / 1e18
    }
}
