@testable import Firewall
import Foundation
import MoatModel
import NetLab
import Testing

/// Golden captures written byte by byte here, in the layouts of pcap-savefile(5) and pcapng.
@Suite struct PcapReaderTests {
    // MARK: Frames

    static let udp4 = PacketBuilder(source: "198.51.100.7", destination: "203.0.113.10", transport: .udp(source: 5353, destination: 53)).bytes
    static let tcp6 = PacketBuilder(source: "2001:db8::1", destination: "2001:db8::2", transport: .tcp(source: 40000, destination: 443, flags: 0x02)).bytes
    static let macs: [UInt8] = [0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2]

    static func ethernet(_ type: UInt16, _ payload: [UInt8], vlan: UInt16? = nil) -> [UInt8] {
        macs + (vlan.map { be16(0x8100) + be16($0) } ?? []) + be16(type) + payload
    }

    static let arp = ethernet(0x0806, [0, 1, 8, 0, 6, 4, 0, 1] + Array(repeating: 0, count: 20))

    // MARK: Classic pcap

    @Test(arguments: [true, false])
    func classicPcapInBothByteOrders(bigEndian: Bool) throws {
        let file = ClassicPcap(bigEndian: bigEndian, linkType: 1, records: [
            .init(seconds: 1_700_000_000, fraction: 250_000, data: Self.ethernet(0x0800, Self.udp4)),
            .init(seconds: 1_700_000_001, fraction: 0, data: Self.arp),
            .init(seconds: 1_700_000_002, fraction: 500_000, data: Self.ethernet(0x86DD, Self.tcp6, vlan: 100)),
        ])
        var reader = try PcapReader(bytes: file.bytes)
        var packets: [PcapPacket] = []
        while let packet = try reader.next() { packets.append(packet) }
        #expect(packets == [
            PcapPacket(index: 1, timestamp: 1_700_000_000.25, bytes: Self.udp4),
            PcapPacket(index: 3, timestamp: 1_700_000_002.5, bytes: Self.tcp6),
        ])
        #expect(reader.skippedFrames == 1)
    }

    @Test func nanosecondMagicScalesTheFraction() throws {
        let file = ClassicPcap(bigEndian: false, nanoseconds: true, linkType: 101, records: [
            .init(seconds: 10, fraction: 123_456_789, data: Self.udp4),
        ])
        let packets = try PcapReader.packets(in: file.bytes)
        #expect(packets.count == 1)
        #expect(abs(packets[0].timestamp - 10.123456789) < 1e-9)
        #expect(Array(file.bytes.prefix(4)) == [0x4D, 0x3C, 0xB2, 0xA1])
    }

    @Test(arguments: [UInt32(101), 228, 229])
    func rawIPLinkTypes(linkType: UInt32) throws {
        let file = ClassicPcap(bigEndian: true, linkType: linkType, records: [
            .init(seconds: 1, fraction: 0, data: Self.udp4),
            .init(seconds: 2, fraction: 0, data: Self.tcp6),
        ])
        #expect(try PcapReader.packets(in: file.bytes).map(\.bytes) == [Self.udp4, Self.tcp6])
    }

    @Test func linuxCookedCaptures() throws {
        // SLL: packet type, ARPHRD, address length, 8 address bytes, protocol.
        let sll: [UInt8] = [0, 0, 0, 1, 0, 6] + Self.macs.prefix(6) + [0, 0] + be16(0x86DD)
        let sllFile = ClassicPcap(bigEndian: false, linkType: 113, records: [
            .init(seconds: 1, fraction: 0, data: sll + Self.tcp6),
            .init(seconds: 2, fraction: 0, data: [0, 0, 0, 1, 0, 6] + Self.macs.prefix(6) + [0, 0] + be16(0x0806) + [1, 2, 3]),
        ])
        #expect(try PcapReader.packets(in: sllFile.bytes) == [PcapPacket(index: 1, timestamp: 1, bytes: Self.tcp6)])
        // SLL2: protocol, reserved, interface index, ARPHRD, packet type, address length, 8 address bytes.
        let sll2: [UInt8] = be16(0x0800) + [0, 0, 0, 0, 0, 2, 0, 1, 0, 6] + Self.macs.prefix(6) + [0, 0]
        let sll2File = ClassicPcap(bigEndian: false, linkType: 276, records: [.init(seconds: 3, fraction: 0, data: sll2 + Self.udp4)])
        #expect(try PcapReader.packets(in: sll2File.bytes).map(\.bytes) == [Self.udp4])
    }

    @Test func truncatedRecordNamesItsOffset() throws {
        let file = ClassicPcap(bigEndian: false, linkType: 1, records: [
            .init(seconds: 1, fraction: 0, data: Self.ethernet(0x0800, Self.udp4)),
            .init(seconds: 2, fraction: 0, data: Self.ethernet(0x0800, Self.udp4)),
        ])
        let secondRecord = 24 + 16 + 14 + Self.udp4.count
        var reader = try PcapReader(bytes: Array(file.bytes.dropLast(5)))
        #expect(try reader.next()?.index == 1)
        let error = #expect(throws: PcapError.self) { try reader.next() }
        #expect(error?.code == .truncated)
        #expect(error?.offset == secondRecord)
        #expect(error?.description == "record 2: its header says \(14 + Self.udp4.count) captured bytes but only \(14 + Self.udp4.count - 5) remain (at byte offset \(secondRecord)) [truncated]")

        let shortHeader = #expect(throws: PcapError.self) { try PcapReader.packets(in: Array(file.bytes.prefix(secondRecord + 7))) }
        #expect(shortHeader?.code == .truncated)
        #expect(shortHeader?.offset == secondRecord)
    }

    @Test func notACaptureOrUnsupported() throws {
        let text = #expect(throws: PcapError.self) { try PcapReader(bytes: Array("hello, world\n".utf8)) }
        #expect(text?.code == .unknownFormat)
        #expect(text?.message == "not a pcap or pcapng file (magic 0x68656c6c)")
        #expect(throws: PcapError.self) { try PcapReader(bytes: [0xD4, 0xC3]) }
        let header = #expect(throws: PcapError.self) { try PcapReader(bytes: Array(ClassicPcap(bigEndian: true, linkType: 1, records: []).bytes.prefix(20))) }
        #expect(header?.code == .truncated)
        let wifi = #expect(throws: PcapError.self) { try PcapReader(bytes: ClassicPcap(bigEndian: true, linkType: 105, records: []).bytes) }
        #expect(wifi?.code == .unsupportedLinkType)
        #expect(wifi?.offset == 20)
        // A length no capture holds is corruption, not a packet.
        var huge = ClassicPcap(bigEndian: true, linkType: 1, records: [.init(seconds: 0, fraction: 0, data: [])]).bytes
        huge.replaceSubrange(32..<36, with: [0x7F, 0xFF, 0xFF, 0xFF])
        let corrupt = #expect(throws: PcapError.self) { try PcapReader.packets(in: huge) }
        #expect(corrupt?.code == .malformed)
        #expect(corrupt?.offset == 32)
    }

    // MARK: pcapng

    @Test(arguments: [true, false])
    func pcapngBlocks(bigEndian: Bool) throws {
        var file = Pcapng(bigEndian: bigEndian)
        file.section()
        file.interface(linkType: 1, options: [(9, [9])]) // if_tsresol: nanoseconds
        file.block(type: 4, body: [1, 2, 3, 4, 5, 6, 7, 8]) // Name Resolution Block: skipped
        file.enhancedPacket(interface: 0, ticks: 1_700_000_000_123_456_789, data: Self.ethernet(0x0800, Self.udp4))
        file.enhancedPacket(interface: 0, ticks: 1_700_000_001_000_000_000, data: Self.arp)
        file.simplePacket(data: Self.ethernet(0x86DD, Self.tcp6, vlan: 7))
        file.interface(linkType: 101, options: []) // microseconds by default
        file.enhancedPacket(interface: 1, ticks: 2_500_000, data: Self.udp4)
        var reader = try PcapReader(bytes: file.bytes)
        var packets: [PcapPacket] = []
        while let packet = try reader.next() { packets.append(packet) }
        #expect(packets.map(\.index) == [1, 3, 4])
        #expect(packets.map(\.bytes) == [Self.udp4, Self.tcp6, Self.udp4])
        #expect(abs(packets[0].timestamp - 1_700_000_000.123456789) < 1e-6)
        #expect(packets[2].timestamp == 2.5)
        #expect(reader.skippedFrames == 1)
    }

    @Test func pcapngErrorsNameTheBlock() throws {
        var file = Pcapng(bigEndian: false)
        file.section()
        file.enhancedPacket(interface: 0, ticks: 0, data: Self.udp4)
        let noInterface = #expect(throws: PcapError.self) { try PcapReader.packets(in: file.bytes) }
        #expect(noInterface?.code == .malformed)
        #expect(noInterface?.message == "packet block names interface 0, but the section describes 0")

        var good = Pcapng(bigEndian: false)
        good.section()
        good.interface(linkType: 1, options: [])
        let packetStart = good.bytes.count
        good.enhancedPacket(interface: 0, ticks: 0, data: Self.ethernet(0x0800, Self.udp4))
        let cut = #expect(throws: PcapError.self) { try PcapReader.packets(in: Array(good.bytes.dropLast(1))) }
        #expect(cut?.code == .truncated)
        #expect(cut?.offset == packetStart)
        var mismatched = good.bytes
        mismatched[mismatched.count - 4] ^= 0x04
        let trailer = #expect(throws: PcapError.self) { try PcapReader.packets(in: mismatched) }
        #expect(trailer?.code == .malformed)
        #expect(trailer?.offset == mismatched.count - 4)
    }

    // MARK: Robustness

    /// Every prefix and many corrupted copies of valid files either read or throw; none traps.
    @Test func damagedFilesNeverTrap() throws {
        var ng = Pcapng(bigEndian: false)
        ng.section()
        ng.interface(linkType: 1, options: [(9, [6]), (14, [1, 0, 0, 0, 0, 0, 0, 0])])
        ng.enhancedPacket(interface: 0, ticks: 5, data: Self.ethernet(0x86DD, Self.tcp6, vlan: 3))
        ng.simplePacket(data: Self.arp)
        let files = [
            ClassicPcap(bigEndian: false, linkType: 1, records: [
                .init(seconds: 1, fraction: 0, data: Self.ethernet(0x0800, Self.udp4)),
                .init(seconds: 2, fraction: 0, data: Array(Self.ethernet(0x8100, []).prefix(13))),
            ]).bytes,
            ClassicPcap(bigEndian: true, linkType: 276, records: [.init(seconds: 1, fraction: 0, data: [8, 0, 1])]).bytes,
            ClassicPcap(bigEndian: true, linkType: 0, records: [.init(seconds: 1, fraction: 0, data: [2, 0, 0, 0] + Self.udp4)]).bytes,
            ng.bytes,
        ]
        var random = SeededRandom(state: 7)
        var outcomes = (read: 0, threw: 0)
        for file in files {
            var variants = (0...file.count).map { Array(file.prefix($0)) }
            for _ in 0..<2_000 {
                var damaged = file
                for _ in 0..<(1 + Int(random.next() % 4)) {
                    damaged[Int(random.next() % UInt64(damaged.count))] = UInt8(truncatingIfNeeded: random.next())
                }
                variants.append(damaged)
            }
            for bytes in variants {
                do {
                    for packet in try PcapReader.packets(in: bytes) { _ = Packet(bytes: packet.bytes) }
                    outcomes.read += 1
                } catch {
                    #expect(error.offset >= 0 && error.offset <= bytes.count)
                    outcomes.threw += 1
                }
            }
        }
        #expect(outcomes.read > 0 && outcomes.threw > 0)
    }

    // MARK: A capture written by Wireshark's text2pcap, when it is installed

    @Test func readsWhatText2pcapWrites() throws {
        guard let text2pcap = ["/usr/bin/text2pcap", "/usr/local/bin/text2pcap", "/usr/sbin/text2pcap"].first(where: FileManager.default.isExecutableFile) else {
            // Root runs everything (as CI does): scripts/test installs it there.
            if getuid() == 0 { Issue.record("text2pcap (wireshark-common) is not installed: scripts/test installs it") } else {
                print("PcapReaderTests.readsWhatText2pcapWrites skipped: text2pcap (wireshark-common) is not installed, and only root installs it")
            }
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("moat-pcap-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let frame = Self.ethernet(0x0800, Self.udp4)
        let hex = stride(from: 0, to: frame.count, by: 16).map { start in
            String(format: "%06x ", start) + frame[start..<min(start + 16, frame.count)].map { String(format: "%02x", $0) }.joined(separator: " ")
        }.joined(separator: "\n") + "\n"
        try hex.write(to: directory.appendingPathComponent("in.txt"), atomically: true, encoding: .utf8)
        // Without flags text2pcap writes its default format (pcap before Wireshark 4, pcapng
        // since); -n asks for pcapng in every version.
        for format in [[], ["-n"]] {
            let output = directory.appendingPathComponent("out")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: text2pcap)
            process.arguments = ["-q"] + format + [directory.appendingPathComponent("in.txt").path, output.path]
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "text2pcap \(format)")
            let packets = try PcapReader.packets(in: [UInt8](try Data(contentsOf: output)))
            #expect(packets.map(\.bytes) == [Self.udp4], "text2pcap \(format)")
        }
    }
}

// MARK: Writers

private func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }

/// A classic libpcap file (pcap-savefile(5)).
struct ClassicPcap {
    struct Record {
        var seconds: UInt32
        var fraction: UInt32
        var data: [UInt8]
    }

    var bigEndian: Bool
    var nanoseconds = false
    var linkType: UInt32
    var records: [Record]

    var bytes: [UInt8] {
        func u32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: bigEndian ? value.bigEndian : value.littleEndian, Array.init) }
        func u16(_ value: UInt16) -> [UInt8] { withUnsafeBytes(of: bigEndian ? value.bigEndian : value.littleEndian, Array.init) }
        var out = u32(nanoseconds ? 0xA1B2_3C4D : 0xA1B2_C3D4) + u16(2) + u16(4) + u32(0) + u32(0) + u32(65535) + u32(linkType)
        for record in records {
            out += u32(record.seconds) + u32(record.fraction) + u32(UInt32(record.data.count)) + u32(UInt32(record.data.count)) + record.data
        }
        return out
    }
}

/// A pcapng file built block by block.
struct Pcapng {
    var bigEndian: Bool
    private(set) var bytes: [UInt8] = []

    init(bigEndian: Bool) { self.bigEndian = bigEndian }

    private func u32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: bigEndian ? value.bigEndian : value.littleEndian, Array.init) }
    private func u16(_ value: UInt16) -> [UInt8] { withUnsafeBytes(of: bigEndian ? value.bigEndian : value.littleEndian, Array.init) }
    private func padded(_ data: [UInt8]) -> [UInt8] { data + Array(repeating: 0, count: (4 - data.count % 4) % 4) }

    mutating func block(type: UInt32, body: [UInt8]) {
        let length = UInt32(12 + padded(body).count)
        bytes += u32(type) + u32(length) + padded(body) + u32(length)
    }

    mutating func section() {
        block(type: 0x0A0D_0D0A, body: u32(0x1A2B_3C4D) + u16(1) + u16(0) + Array(repeating: 0xFF, count: 8))
    }

    mutating func interface(linkType: UInt16, options: [(UInt16, [UInt8])]) {
        var body = u16(linkType) + u16(0) + u32(0)
        for (code, value) in options { body += u16(code) + u16(UInt16(value.count)) + padded(value) }
        if !options.isEmpty { body += u32(0) }
        block(type: 1, body: body)
    }

    mutating func enhancedPacket(interface: UInt32, ticks: UInt64, data: [UInt8]) {
        block(type: 6, body: u32(interface) + u32(UInt32(ticks >> 32)) + u32(UInt32(ticks & 0xFFFF_FFFF))
            + u32(UInt32(data.count)) + u32(UInt32(data.count)) + padded(data))
    }

    mutating func simplePacket(data: [UInt8]) {
        block(type: 3, body: u32(UInt32(data.count)) + padded(data))
    }
}

