import Testing
@testable import Tunnels

@Suite struct GREPacketTests {
    /// An inner IPv4 UDP packet 10.0.0.1 → 203.0.113.10, ports 40000 → 5001, 4 bytes of data.
    static let innerUDP: [UInt8] = {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeMutableBytes { buffer in
            IPv4Header(source: 0x0a00_0001, destination: 0xcb00_710a, ipProtocol: 17, ttl: 63, payloadLength: 12).write(to: buffer)
            buffer.put16(40000, at: 20)
            buffer.put16(5001, at: 22)
            buffer.put16(12, at: 24)
        }
        return bytes
    }()

    static func encapsulated(_ inner: [UInt8], ipv6: Bool = false) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: GREPacket.overhead + inner.count)
        buffer.replaceSubrange(GREPacket.overhead..., with: inner)
        buffer.withUnsafeMutableBytes { _ = GREPacket.encapsulate(in: $0, innerLength: inner.count, innerIsIPv6: ipv6,
                                                                  source: 0xc633_6401, destination: 0xc000_0201, ttl: 64) }
        return buffer
    }

    static func decapsulate(_ bytes: [UInt8]) -> Result<GREPacket.Decapsulated, GREPacket.DropReason> {
        bytes.withUnsafeBytes { GREPacket.decapsulate($0) }
    }

    @Test func encapsulationIsGoldenAndRoundTrips() throws {
        let packet = Self.encapsulated(Self.innerUDP)
        // Outer: version 4, IHL 5, length 56, TTL 64, protocol 47, 198.51.100.1 → 192.0.2.1; GRE: no flags, IPv4.
        #expect(Array(packet[0..<4]) == [0x45, 0x00, 0x00, 56])
        #expect(packet[8] == 64 && packet[9] == 47)
        #expect(Array(packet[12..<20]) == [198, 51, 100, 1, 192, 0, 2, 1])
        #expect(Array(packet[20..<24]) == [0x00, 0x00, 0x08, 0x00])
        #expect(packet.withUnsafeBytes { internetChecksum(UnsafeRawBufferPointer(rebasing: $0[0..<20])) } == 0)
        let decapsulated = try Self.decapsulate(packet).get()
        #expect(decapsulated == GREPacket.Decapsulated(outerSource: 0xc633_6401, outerDestination: 0xc000_0201,
                                                       innerOffset: 24, innerLength: 32, isIPv6: false))
        #expect(Array(packet[24...]) == Self.innerUDP)
    }

    @Test func acceptsKeyAndSequenceNumberAndAValidChecksum() throws {
        var packet = Self.encapsulated(Self.innerUDP)
        // Insert checksum+reserved, key and sequence number: 12 bytes after the base header.
        packet.insert(contentsOf: [UInt8](repeating: 0, count: 12), at: 24)
        packet[20] = 0xb0 // C, K, S
        packet[28...31] = [0, 0, 0, 42]
        packet[32...35] = [0, 0, 0, 7]
        let length = packet.count
        packet.withUnsafeMutableBytes { buffer in
            buffer.put16(UInt16(length), at: 2)
            let sum = internetChecksum(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[20...]))
            buffer.put16(sum, at: 24)
        }
        let decapsulated = try Self.decapsulate(packet).get()
        #expect(decapsulated.innerOffset == 36 && decapsulated.innerLength == 32)

        packet[40] ^= 0xff // corrupt the inner packet: the GRE checksum no longer holds
        #expect(Self.decapsulate(packet) == .failure(.badChecksum))
    }

    @Test(arguments: [
        ("version 1", { (p: inout [UInt8]) in p[21] = 0x01 }, GREPacket.DropReason.unsupportedFlags),
        ("routing bit", { (p: inout [UInt8]) in p[20] = 0x40 }, .unsupportedFlags),
        ("recursion", { (p: inout [UInt8]) in p[20] = 0x01 }, .unsupportedFlags),
        ("ethertype ARP", { (p: inout [UInt8]) in p[22] = 0x08; p[23] = 0x06 }, .unknownProtocol),
        ("inner not IP", { (p: inout [UInt8]) in p[24] = 0x55 }, .badInnerHeader),
        ("inner longer than packet", { (p: inout [UInt8]) in p[26] = 0x05 }, .badInnerHeader),
        ("not GRE", { (p: inout [UInt8]) in p[9] = 17 }, .badOuterHeader),
        ("outer fragment", { (p: inout [UInt8]) in p[6] = 0x20 }, .badOuterHeader),
        ("outer IHL 3", { (p: inout [UInt8]) in p[0] = 0x43 }, .badOuterHeader),
    ] as [(String, (inout [UInt8]) -> Void, GREPacket.DropReason)])
    func malformedIsDroppedWithAReason(name: String, damage: (inout [UInt8]) -> Void, reason: GREPacket.DropReason) {
        var packet = Self.encapsulated(Self.innerUDP)
        damage(&packet)
        #expect(Self.decapsulate(packet) == .failure(reason), "\(name)")
    }

    @Test func everyTruncationIsDroppedNeverACrash() {
        let packet = Self.encapsulated(Self.innerUDP)
        for length in 0..<packet.count {
            var cut = Array(packet[0..<length])
            if length >= 4 { cut.withUnsafeMutableBytes { $0.put16(UInt16(length), at: 2) } }
            guard case .failure = Self.decapsulate(cut) else {
                Issue.record("a \(length)-byte packet decapsulated")
                continue
            }
        }
    }

    @Test func randomBytesNeverCrash() {
        var random = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var packet = Self.encapsulated(Self.innerUDP)
            for _ in 0..<3 { packet[Int.random(in: 0..<packet.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
            _ = Self.decapsulate(packet)
        }
    }

    @Test func probePacketRoundTripsAndRejectsOthers() throws {
        let probe = ProbePacket(source: 0xc000_0201, destination: 0xc633_6401, isRequest: false, slot: 3, sequence: 99, sentAt: 123_456_789)
        let bytes = probe.bytes
        #expect(bytes.count == ProbePacket.length)
        #expect(bytes[20] == 0 && bytes[21] == 0) // echo reply
        let parsed = try #require(bytes.withUnsafeBytes { ProbePacket.reply($0) })
        #expect(parsed == probe)
        var request = ProbePacket(source: 1, destination: 2, isRequest: true, slot: 3, sequence: 4, sentAt: 5).bytes
        #expect(request.withUnsafeBytes { ProbePacket.reply($0) } == nil)
        var corrupted = bytes
        corrupted[40] ^= 1
        #expect(corrupted.withUnsafeBytes { ProbePacket.reply($0) } == nil)
        request[20] = 0 // now a reply with a stale checksum
        #expect(request.withUnsafeBytes { ProbePacket.reply($0) } == nil)
    }

    @Test func flowHashIsStableAndCoversPorts() {
        let hash = Self.innerUDP.withUnsafeBytes { FlowHash.of($0) }
        // Fixed across processes and runs: routes keep flows on their tunnel after a restart.
        #expect(hash == Self.innerUDP.withUnsafeBytes { FlowHash.of($0) })
        #expect(hash == 16_745_272_338_178_051_641)
        var otherPort = Self.innerUDP
        otherPort[21] ^= 1
        #expect(otherPort.withUnsafeBytes { FlowHash.of($0) } != hash)
    }
}
