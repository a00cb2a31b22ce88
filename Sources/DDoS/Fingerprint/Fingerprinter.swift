import MoatModel

/// Finds the narrowest description of an attack from its sampled packets: every header field
/// (protocol, ports, TCP flags, ICMP type, length, TTL, fragments, source addresses) where one
/// value dominates the attack's samples joins the fingerprint; fields are given up, least
/// dominant first, until the conjunction covers most of the attack. The destination's normal
/// traffic (sampled before the attack) tells how much of it the rule would also drop.
///
/// Only when no field dominates is the fingerprint the whole target address.
package enum Fingerprinter {
    /// A value must be in this share of the attack's samples to describe it.
    package static let dominance = 0.9
    /// The fingerprint as a whole must match this share of the attack's samples.
    package static let requiredCoverage = 0.8
    /// Source addresses join the fingerprint when this many hosts or /24s (/48s) carry the attack.
    package static let maxSourcePrefixes = 16
    /// A length range joins when the central 95 % of the attack's lengths spans at most this.
    package static let maxLengthSpan: UInt16 = 64

    /// One field the fingerprint may fix, with the share of the attack it covers alone.
    enum Feature: CaseIterable {
        case fragments, protocolNumber, tcpFlags, icmpType, sourcePort, destinationPort, length, ttl, sources
    }

    package static func fingerprint(target: IPAddress, attack allSamples: [PacketSample], baseline: [PacketSample]) -> AttackFingerprint {
        let attack = allSamples.filter { $0.destination == target }
        var fingerprint = AttackFingerprint(target: target)
        guard !attack.isEmpty else { return finished(fingerprint, attack: attack, baseline: baseline) }
        var shares: [Feature: Double] = [:]

        let fragmentShare = Double(attack.count(where: \.isFragment)) / Double(attack.count)
        if fragmentShare >= dominance {
            fingerprint.fragments = true
            shares[.fragments] = fragmentShare
        }
        if let (value, part) = dominant(attack, \.protocolNumber) {
            fingerprint.protocolNumber = value
            shares[.protocolNumber] = part
            if value == 6, let (flags, part) = dominant(attack, \.tcpFlags) {
                fingerprint.tcpFlags = flags
                shares[.tcpFlags] = part
            }
            if value == 1 || value == 58, let (type, part) = dominant(attack, \.icmpType) {
                fingerprint.icmpType = type
                shares[.icmpType] = part
            }
            if (value == 6 || value == 17) && !fingerprint.fragments {
                if let (port, part) = dominant(attack, \.sourcePort) {
                    fingerprint.sourcePort = port
                    shares[.sourcePort] = part
                }
                if let (port, part) = dominant(attack, \.destinationPort) {
                    fingerprint.destinationPort = port
                    shares[.destinationPort] = part
                }
            }
        }
        if let (range, part) = lengthRange(attack) {
            fingerprint.lengthMin = range.lowerBound
            fingerprint.lengthMax = range.upperBound
            shares[.length] = part
        }
        if let (ttl, part) = dominant(attack, \.ttl) {
            fingerprint.ttl = ttl
            shares[.ttl] = part
        }
        if let (prefixes, part) = sourcePrefixes(attack) {
            fingerprint.sourcePrefixes = prefixes
            shares[.sources] = part
        }

        // The conjunction of dominant fields can miss more than any one of them does.
        while coverage(of: fingerprint, in: attack) < requiredCoverage, let weakest = shares.min(by: { $0.value < $1.value })?.key {
            shares[weakest] = nil
            fingerprint.remove(weakest)
        }
        return finished(fingerprint, attack: attack, baseline: baseline)
    }

    static func finished(_ fingerprint: AttackFingerprint, attack: [PacketSample], baseline: [PacketSample]) -> AttackFingerprint {
        var result = fingerprint
        result.attackCoverage = coverage(of: fingerprint, in: attack)
        result.baselineCoverage = coverage(of: fingerprint, in: baseline.filter { $0.destination == fingerprint.target })
        result.nft = fingerprint.nftMatch
        return result
    }

    static func coverage(of fingerprint: AttackFingerprint, in samples: [PacketSample]) -> Double {
        guard !samples.isEmpty else { return 0 }
        return Double(samples.count { fingerprint.matches($0) }) / Double(samples.count)
    }

    /// The most common value of a field and its share, when it dominates.
    static func dominant<Value: Hashable>(_ samples: [PacketSample], _ field: (PacketSample) -> Value?) -> (Value, Double)? {
        var counts: [Value: Int] = [:]
        for sample in samples { if let value = field(sample) { counts[value, default: 0] += 1 } }
        guard let (value, count) = counts.max(by: { $0.value < $1.value }) else { return nil }
        let part = Double(count) / Double(samples.count)
        return part >= dominance ? (value, part) : nil
    }

    /// One length, or the central 95 % when it is narrow (hping3 and trafgen send fixed sizes;
    /// amplifiers' answers vary a little).
    static func lengthRange(_ samples: [PacketSample]) -> (ClosedRange<UInt16>, Double)? {
        if let (length, part) = dominant(samples, \.length) { return (length...length, part) }
        let sorted = samples.map(\.length).sorted()
        let low = sorted[Int(Double(sorted.count - 1) * 0.025)]
        let high = sorted[Int(Double(sorted.count - 1) * 0.975)]
        guard high - low <= maxLengthSpan else { return nil }
        let part = Double(sorted.count { (low...high).contains($0) }) / Double(sorted.count)
        return part >= dominance ? (low...high, part) : nil
    }

    /// A few sources carrying the attack: as host addresses, else as /24 (IPv4) or /48 (IPv6)
    /// prefixes. Spoofed random sources never qualify.
    static func sourcePrefixes(_ samples: [PacketSample]) -> ([CIDR], Double)? {
        for hosts in [true, false] {
            var counts: [CIDR: Int] = [:]
            for sample in samples {
                let length = hosts ? sample.source.bitWidth : (sample.source.isIPv4 ? 24 : 48)
                counts[CIDR(host: sample.source).supernet(length: length), default: 0] += 1
            }
            let top = counts.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(maxSourcePrefixes)
            let part = Double(top.reduce(0) { $0 + $1.value }) / Double(samples.count)
            // Too few samples per source to tell a botnet from a spoofer: no source field.
            if part >= dominance && samples.count >= 2 * top.count { return (top.map(\.key).sorted(), part) }
        }
        return nil
    }
}

extension AttackFingerprint {
    mutating func remove(_ feature: Fingerprinter.Feature) {
        switch feature {
        case .fragments: fragments = false
        case .protocolNumber:
            protocolNumber = nil
            tcpFlags = nil
            icmpType = nil
            sourcePort = nil
            destinationPort = nil
        case .tcpFlags: tcpFlags = nil
        case .icmpType: icmpType = nil
        case .sourcePort: sourcePort = nil
        case .destinationPort: destinationPort = nil
        case .length:
            lengthMin = nil
            lengthMax = nil
        case .ttl: ttl = nil
        case .sources: sourcePrefixes = []
        }
    }
}
