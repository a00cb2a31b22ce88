import DDoS
import Foundation
import LinuxNet
import MoatModel
import NetLab
import Testing

/// NFLOG sampling against the kernel: real packets cross a veth into a namespace whose
/// nftables rules log them to group 7, an ``NFLOGSocket`` made inside it reads them, and each
/// must parse into the ``PacketSample`` of what was sent.
@Suite(.serialized, .timeLimit(.minutes(3)), .onLabThreads)
struct NFLOGKernelTests {
    static let sender = IPAddress(NFLOGKernelLab.sender)!
    static let every = IPAddress(NFLOGKernelLab.every)!
    static let sampled = IPAddress(NFLOGKernelLab.sampled)!
    static let sender6 = IPAddress(NFLOGKernelLab.sender6)!
    static let every6 = IPAddress(NFLOGKernelLab.every6)!

    static func canRun(_ test: String) -> Bool {
        Requirements(Requirements.ip, Requirements.nft, ["ping": "iputils-ping"]).met("NFLOGKernelTests.\(test)")
    }

    /// A lab with the reader running; the reader is stopped and the lab torn down after `body`.
    static func withNFLOG<T>(queueThreshold: UInt32 = 1, _ body: (NFLOGKernelLab, NFLOGCollector) throws -> T) async throws -> T {
        try await withLab(base: NFLOGKernelLab.nameBase) { lab in
            let kernel = try NFLOGKernelLab(lab: lab)
            let collector = NFLOGCollector(try kernel.socket(queueThreshold: queueThreshold))
            defer { collector.stop() }
            return try body(kernel, collector)
        }
    }

    @Test func ipv4PacketsArriveAsTheSamplesSent() async throws {
        guard Self.canRun("ipv4PacketsArriveAsTheSamplesSent") else { return }
        try await Self.withNFLOG { kernel, collector in
            let traffic = NFLOGKernelTraffic(lab: kernel)
            let udpPort = try traffic.udp(to: NFLOGKernelLab.every, port: 7002, count: 200, size: 400, ttl: 33)
            let tcpPort = try traffic.tcpSYN(to: NFLOGKernelLab.every, port: 7003)
            try traffic.ping(NFLOGKernelLab.every, count: 3)
            let fragmentPort = try traffic.udp(to: NFLOGKernelLab.every, port: 7004, count: 1, size: 3000, ttl: 64)
            let packets = collector.wait { $0.count >= 200 + 1 + 3 + 3 }
            #expect(collector.error == nil)
            #expect(packets.allSatisfy { $0.family == 2 && $0.group == 7 && $0.hardwareProtocol == 0x0800 && $0.hook == 0 && $0.prefix == "every" })
            let samples = packets.compactMap { PacketSample.parse(ipPacket: $0.payload) }
            #expect(samples.count == packets.count, "every logged packet parses")

            // 428-byte datagrams, cut at the rule's snaplen: the length is the header's.
            let udp = samples.filter { $0.destinationPort == 7002 }
            #expect(udp.count == 200)
            #expect(Set(udp) == [PacketSample(source: Self.sender, destination: Self.every, protocolNumber: 17, length: 428, ttl: 33,
                                              sourcePort: udpPort, destinationPort: 7002)])
            #expect(packets.filter { PacketSample.parse(ipPacket: $0.payload)?.destinationPort == 7002 }.allSatisfy { $0.payload.count == 128 })

            let syn = samples.filter { $0.protocolNumber == 6 }
            #expect(syn.count == 1)
            // Linux's SYN carries MSS, SACK permitted, timestamps and window scale: 40 bytes of TCP.
            #expect(syn.first == PacketSample(source: Self.sender, destination: Self.every, protocolNumber: 6, length: 60, ttl: 64,
                                              sourcePort: tcpPort, destinationPort: 7003, tcpFlags: 0x02))

            let echo = samples.filter { $0.protocolNumber == 1 }
            #expect(echo == Array(repeating: PacketSample(source: Self.sender, destination: Self.every, protocolNumber: 1,
                                                          length: 84, ttl: 64, icmpType: 8), count: 3))

            // 3008 bytes of UDP in 1480-byte pieces; only the first fragment has ports.
            let fragments = samples.filter(\.isFragment)
            #expect(fragments.map(\.length).sorted() == [68, 1500, 1500])
            #expect(fragments.allSatisfy { $0.protocolNumber == 17 })
            #expect(fragments.compactMap(\.destinationPort) == [7004])
            #expect(fragments.compactMap(\.sourcePort) == [fragmentPort])

            let statistics = collector.socket.statistics
            #expect(statistics.overruns == 0 && statistics.lostPackets == 0 && statistics.skippedMessages == 0, "\(statistics)")
        }
    }

    @Test func ipv6PacketsArriveAsTheSamplesSent() async throws {
        guard Self.canRun("ipv6PacketsArriveAsTheSamplesSent") else { return }
        try await Self.withNFLOG { kernel, collector in
            let traffic = NFLOGKernelTraffic(lab: kernel)
            let udpPort = try traffic.udp(to: NFLOGKernelLab.every6, port: 7002, count: 100, size: 400, ttl: 44)
            let tcpPort = try traffic.tcpSYN(to: NFLOGKernelLab.every6, port: 7003)
            try traffic.ping(NFLOGKernelLab.every6, count: 3)
            let fragmentPort = try traffic.udp(to: NFLOGKernelLab.every6, port: 7004, count: 1, size: 3000, ttl: 64)
            let packets = collector.wait { $0.count >= 100 + 1 + 3 + 3 }
            #expect(collector.error == nil)
            #expect(packets.allSatisfy { $0.family == 10 && $0.group == 7 && $0.hardwareProtocol == 0x86dd && $0.prefix == "every" })
            let samples = packets.compactMap { PacketSample.parse(ipPacket: $0.payload) }
            #expect(samples.count == packets.count, "every logged packet parses")

            let udp = samples.filter { $0.destinationPort == 7002 }
            #expect(udp.count == 100)
            #expect(Set(udp) == [PacketSample(source: Self.sender6, destination: Self.every6, protocolNumber: 17, length: 448, ttl: 44,
                                              sourcePort: udpPort, destinationPort: 7002)])

            let syn = samples.filter { $0.protocolNumber == 6 }
            #expect(syn.count == 1)
            #expect(syn.first == PacketSample(source: Self.sender6, destination: Self.every6, protocolNumber: 6, length: 80, ttl: 64,
                                              sourcePort: tcpPort, destinationPort: 7003, tcpFlags: 0x02))

            let echo = samples.filter { $0.protocolNumber == 58 }
            #expect(echo == Array(repeating: PacketSample(source: Self.sender6, destination: Self.every6, protocolNumber: 58,
                                                          length: 104, ttl: 64, icmpType: 128), count: 3))

            // 3008 bytes of UDP behind fragment headers, 1448 bytes a piece.
            let fragments = samples.filter(\.isFragment)
            #expect(fragments.map(\.length).sorted() == [160, 1496, 1496])
            #expect(fragments.allSatisfy { $0.protocolNumber == 17 })
            #expect(fragments.compactMap(\.destinationPort) == [7004])
            #expect(fragments.compactMap(\.sourcePort) == [fragmentPort])
        }
    }

    /// `numgen random mod 4 == 0` keeps 1 in 4: 4000 packets give 1000 ± 27 (one standard
    /// deviation); the band is ± 5.5 of them. Nothing is lost on the way, so the count is the
    /// kernel's sampling alone.
    @Test func oneInFourSampling() async throws {
        guard Self.canRun("oneInFourSampling") else { return }
        try await Self.withNFLOG { kernel, collector in
            let sent = 4_000
            let port = try NFLOGKernelTraffic(lab: kernel).udp(to: NFLOGKernelLab.sampled, port: 7001, count: sent, size: 64, ttl: 64)
            let packets = collector.wait(settle: .milliseconds(500)) { $0.count >= 850 }
            print("NFLOGKernelTests: 1-in-4 sampling kept \(packets.count) of \(sent) packets (expected 1000 ± 27)")
            #expect((850...1150).contains(packets.count))
            #expect(packets.allSatisfy { $0.prefix == "sampled" })
            let samples = Set(packets.compactMap { PacketSample.parse(ipPacket: $0.payload) })
            #expect(samples == [PacketSample(source: Self.sender, destination: Self.sampled, protocolNumber: 17, length: 92, ttl: 64,
                                             sourcePort: port, destinationPort: 7001)])
            let statistics = collector.socket.statistics
            #expect(statistics.overruns == 0 && statistics.lostPackets == 0, "\(statistics)")
        }
    }

    /// How many samples a second one reader takes, one packet per datagram and in batches of
    /// 64. Printed, not asserted: the machine decides.
    @Test(.heavyTraffic, arguments: [UInt32(1), 64])
    func throughput(queueThreshold: UInt32) async throws {
        guard Self.canRun("throughput") else { return }
        try await Self.withNFLOG(queueThreshold: queueThreshold) { kernel, collector in
            let start = ContinuousClock.now
            let flood = try NFLOGKernelTraffic(lab: kernel).flood(to: NFLOGKernelLab.every, port: 7009, count: 400_000, duration: .seconds(2))
            // Until nothing more arrives for 300 ms (the batch timeout is 100 ms), at most 5 s.
            var count = collector.packets.count
            var lastGrowth = ContinuousClock.now
            while ContinuousClock.now - lastGrowth < .milliseconds(300), ContinuousClock.now - start < .seconds(7) {
                usleep(50_000)
                let now = collector.packets.count
                if now > count { count = now; lastGrowth = ContinuousClock.now }
            }
            collector.stop()
            let packets = collector.packets
            let statistics = collector.socket.statistics
            let seconds = Self.seconds(lastGrowth - start)
            let cpuSeconds = Self.seconds(collector.cpuTime)
            let parseStart = ContinuousClock.now
            let parsed = packets.compactMap { PacketSample.parse(ipPacket: $0.payload) }.count
            let parseSeconds = Self.seconds(ContinuousClock.now - parseStart)
            print("""
                NFLOGKernelTests throughput, queue threshold \(queueThreshold): sent \(flood.sent) in \(String(format: "%.2f", Self.seconds(flood.elapsed))) s, \
                received \(packets.count) samples in \(statistics.datagrams) datagrams over \(String(format: "%.2f", seconds)) s = \
                \(Int(Double(packets.count) / seconds)) samples/s; overruns \(statistics.overruns), lost by sequence \(statistics.lostPackets); \
                reader CPU \(String(format: "%.2f", cpuSeconds)) s = \(Int(Double(packets.count) / max(cpuSeconds, 1e-9))) samples per CPU second; \
                PacketSample.parse \(Int(Double(parsed) / max(parseSeconds, 1e-9))) samples/s
                """)
            #expect(collector.error == nil)
            #expect(packets.count > 0)
            #expect(packets.count + statistics.lostPackets <= flood.sent)
            #expect(parsed == packets.count)
        }
    }

    /// A reader that falls behind: the kernel drops messages, the next read reports `ENOBUFS`,
    /// and the socket counts it, reads on, and tells from the sequence numbers how many
    /// packets it missed.
    @Test(.heavyTraffic) func overrunsAreCountedAndReadingGoesOn() async throws {
        guard Self.canRun("overrunsAreCountedAndReadingGoesOn") else { return }
        try await withLab(base: NFLOGKernelLab.nameBase) { lab in
            let kernel = try NFLOGKernelLab(lab: lab)
            let socket = try kernel.socket(receiveBufferSize: 16 << 10)
            let traffic = NFLOGKernelTraffic(lab: kernel)
            // Nobody reads while these arrive: a few fit in the buffer, the rest are dropped.
            try traffic.udp(to: NFLOGKernelLab.every, port: 7005, count: 1_000, size: 64, ttl: 64)
            var packets = try Self.drain(socket)
            let afterFlood = socket.statistics
            // Reading goes on, and the packets after the gap show its size.
            try traffic.udp(to: NFLOGKernelLab.every, port: 7006, count: 5, size: 64, ttl: 64)
            packets += try Self.drain(socket)
            let statistics = socket.statistics
            print("NFLOGKernelTests overrun: 1005 sent, \(packets.count) read, \(statistics.overruns) ENOBUFS, \(statistics.lostPackets) lost by sequence")
            #expect(afterFlood.overruns >= 1)
            #expect(packets.count < 1_000)
            #expect(packets.filter { PacketSample.parse(ipPacket: $0.payload)?.destinationPort == 7006 }.count == 5)
            #expect(packets.count + statistics.lostPackets == 1_005)
        }
    }

    /// Reads until three reads in a row bring nothing, at most 5 s.
    static func drain(_ socket: NFLOGSocket) throws -> [NFLOGPacket] {
        var packets: [NFLOGPacket] = []
        var idle = 0
        let deadline = ContinuousClock.now + .seconds(5)
        while idle < 3, ContinuousClock.now < deadline {
            let batch = try socket.receive(pollTimeout: 100)
            idle = batch.isEmpty ? idle + 1 : 0
            packets += batch
        }
        return packets
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
