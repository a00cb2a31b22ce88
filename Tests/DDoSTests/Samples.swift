import DDoS
import Foundation
import MoatModel

/// Synthetic samples: a protected host with normal traffic, and the floods of the test plans.
enum Samples {
    static let victim = IPAddress("203.0.113.10")!
    static let client = IPAddress("198.51.100.7")!

    /// A deterministic generator, so failures repeat.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 11
        }
        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
    }

    /// Normal traffic: TCP to 80 (SYNs of 60 bytes, data and ACKs), UDP to 53 from the client.
    static func normal(_ random: inout Random) -> PacketSample {
        switch random.below(4) {
        case 0: return PacketSample(source: client, destination: victim, protocolNumber: 6, length: 60, ttl: 63,
                                    sourcePort: UInt16(32_768 + random.below(20_000)), destinationPort: 80, tcpFlags: 0x02)
        case 1: return PacketSample(source: client, destination: victim, protocolNumber: 6, length: UInt16(52 + random.below(400)), ttl: 63,
                                    sourcePort: UInt16(32_768 + random.below(20_000)), destinationPort: 80, tcpFlags: 0x18)
        case 2: return PacketSample(source: client, destination: victim, protocolNumber: 6, length: 52, ttl: 63,
                                    sourcePort: UInt16(32_768 + random.below(20_000)), destinationPort: 80, tcpFlags: 0x10)
        default: return PacketSample(source: client, destination: victim, protocolNumber: 17, length: UInt16(40 + random.below(60)), ttl: 63,
                                     sourcePort: UInt16(32_768 + random.below(20_000)), destinationPort: 53)
        }
    }

    static func spoofed(_ random: inout Random) -> IPAddress {
        .v4(UInt32(truncatingIfNeeded: random.next()) | 0x0100_0000)
    }

    /// hping3 -S --rand-source -p 80: 40-byte SYNs without options.
    static func synFlood(_ random: inout Random) -> PacketSample {
        PacketSample(source: spoofed(&random), destination: victim, protocolNumber: 6, length: 40, ttl: 64,
                     sourcePort: UInt16(1_024 + random.below(60_000)), destinationPort: 80, tcpFlags: 0x02)
    }

    /// hping3 --udp -s 123 -k -d 440: NTP-sourced datagrams of one size.
    static func ntpFlood(_ random: inout Random) -> PacketSample {
        PacketSample(source: spoofed(&random), destination: victim, protocolNumber: 17, length: 468, ttl: 64,
                     sourcePort: 123, destinationPort: UInt16(1_024 + random.below(60_000)))
    }

    /// hping3 --icmp: echo requests.
    static func icmpFlood(_ random: inout Random) -> PacketSample {
        PacketSample(source: spoofed(&random), destination: victim, protocolNumber: 1, length: 28, ttl: 64, icmpType: 8)
    }

    /// UDP with everything random but the protocol.
    static func randomUDP(_ random: inout Random) -> PacketSample {
        PacketSample(source: spoofed(&random), destination: victim, protocolNumber: 17, length: UInt16(28 + random.below(1_400)),
                     ttl: UInt8(32 + random.below(200)), sourcePort: UInt16(1 + random.below(65_000)), destinationPort: UInt16(1 + random.below(65_000)))
    }

    static func prefixes(threshold: DetectionThreshold = .init(packetsPerSecond: 2_000, bitsPerSecond: nil), automatic: Bool = true) -> ProtectedTargets {
        let prefix = Prefix(accountID: "acme", spec: PrefixSpec(cidr: CIDR("203.0.113.0/24")!), status: .approved, at: Date())
        var settings = DDoSSettings()
        settings.detection = threshold
        settings.mitigation.automatic = automatic
        return ProtectedTargets(prefixes: [prefix], ddos: EdgeDDoS(settings: settings))
    }
}
