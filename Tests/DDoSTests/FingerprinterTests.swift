import DDoS
import MoatModel
import Testing

@Suite struct FingerprinterTests {
    static func mix(attack: (inout Samples.Random) -> PacketSample, attackCount: Int = 400, normalCount: Int = 20, seed: UInt64 = 7) -> (attack: [PacketSample], baseline: [PacketSample]) {
        var random = Samples.Random(state: seed)
        var during: [PacketSample] = []
        for index in 0..<(attackCount + normalCount) {
            during.append(index % ((attackCount + normalCount) / max(1, normalCount)) == 0 ? Samples.normal(&random) : attack(&random))
        }
        let baseline = (0..<200).map { _ in Samples.normal(&random) }
        return (during, baseline)
    }

    @Test func synFloodWithSpoofedSourcesSparesRealHandshakes() {
        let (attack, baseline) = Self.mix(attack: Samples.synFlood)
        let fingerprint = Fingerprinter.fingerprint(target: Samples.victim, attack: attack, baseline: baseline)
        #expect(fingerprint.protocolNumber == 6 && fingerprint.tcpFlags == 0x02 && fingerprint.destinationPort == 80)
        #expect(fingerprint.lengthMin == 40 && fingerprint.lengthMax == 40)
        #expect(fingerprint.sourcePort == nil && fingerprint.sourcePrefixes.isEmpty)
        #expect(fingerprint.baselineCoverage == 0, "a 60-byte SYN of a real client must pass")
        #expect(fingerprint.attackCoverage > 0.9)
        #expect(fingerprint.nft == "ip daddr 203.0.113.10 meta l4proto 6 tcp dport 80 tcp flags == 0x2 ip length 40 ip ttl 64")
    }

    @Test func ntpReflectionByPortAndLength() {
        let (attack, baseline) = Self.mix(attack: Samples.ntpFlood)
        let fingerprint = Fingerprinter.fingerprint(target: Samples.victim, attack: attack, baseline: baseline)
        #expect(fingerprint.protocolNumber == 17 && fingerprint.sourcePort == 123 && fingerprint.destinationPort == nil)
        #expect(fingerprint.lengthMin == 468 && fingerprint.lengthMax == 468)
        #expect(fingerprint.baselineCoverage == 0)
        #expect(!fingerprint.isWholeTarget)
    }

    @Test func icmpFloodByType() {
        let (attack, baseline) = Self.mix(attack: Samples.icmpFlood)
        let fingerprint = Fingerprinter.fingerprint(target: Samples.victim, attack: attack, baseline: baseline)
        #expect(fingerprint.protocolNumber == 1 && fingerprint.icmpType == 8 && fingerprint.lengthMin == 28)
        #expect(fingerprint.nftConditions.contains("icmp type 8"))
    }

    @Test func randomUDPNarrowsToTheProtocolOnly() {
        let (attack, baseline) = Self.mix(attack: Samples.randomUDP)
        let fingerprint = Fingerprinter.fingerprint(target: Samples.victim, attack: attack, baseline: baseline)
        #expect(fingerprint.protocolNumber == 17)
        #expect(fingerprint.sourcePort == nil && fingerprint.lengthMin == nil && fingerprint.ttl == nil)
        // The normal UDP to port 53 is hit too, and the fingerprint says how much.
        #expect(fingerprint.baselineCoverage > 0.1 && fingerprint.baselineCoverage < 0.5)
    }

    @Test func fewRealSourcesAreNamed() {
        var random = Samples.Random(state: 9)
        let bots = [IPAddress("192.0.2.1")!, IPAddress("192.0.2.200")!, IPAddress("198.18.5.5")!]
        let attack = (0..<300).map { index -> PacketSample in
            var sample = Samples.randomUDP(&random)
            sample.source = bots[index % 3]
            return sample
        }
        let fingerprint = Fingerprinter.fingerprint(target: Samples.victim, attack: attack, baseline: [])
        #expect(fingerprint.sourcePrefixes.map(\.description) == ["192.0.2.1/32", "192.0.2.200/32", "198.18.5.5/32"])
        #expect(fingerprint.nftConditions.last == "ip saddr { 192.0.2.1, 192.0.2.200, 198.18.5.5 }")
    }

    @Test func mixedAttackFallsBackToTheWholeTarget() {
        var random = Samples.Random(state: 11)
        let attack = (0..<400).map { index -> PacketSample in
            switch index % 3 {
            case 0: return Samples.synFlood(&random)
            case 1: return Samples.randomUDP(&random)
            default: return Samples.icmpFlood(&random)
            }
        }
        let fingerprint = Fingerprinter.fingerprint(target: Samples.victim, attack: attack, baseline: [])
        #expect(fingerprint.isWholeTarget)
        #expect(fingerprint.nft == "ip daddr 203.0.113.10")
        #expect(fingerprint.attackCoverage == 1)
    }

    @Test func ipv6FingerprintUsesIPv6Fields() {
        let target = IPAddress("2001:db8::10")!
        var random = Samples.Random(state: 12)
        let attack = (0..<100).map { _ in
            PacketSample(source: .v6(UInt128(random.next()) << 64), destination: target, protocolNumber: 17, length: 508, ttl: 60,
                         sourcePort: 11_211, destinationPort: UInt16(1_024 + random.below(1_000)))
        }
        let fingerprint = Fingerprinter.fingerprint(target: target, attack: attack, baseline: [])
        #expect(fingerprint.nft == "ip6 daddr 2001:db8::10 meta l4proto 17 udp sport 11211 ip6 length 468 ip6 hoplimit 60")
    }
}
