import MoatModel

extension AttackFingerprint {
    /// True when the sampled packet is one the fingerprint's rule drops.
    package func matches(_ sample: PacketSample) -> Bool {
        guard sample.destination == target else { return false }
        if fragments && !sample.isFragment { return false }
        if let protocolNumber, sample.protocolNumber != protocolNumber { return false }
        if let tcpFlags, sample.tcpFlags != tcpFlags { return false }
        if let icmpType, sample.icmpType != icmpType { return false }
        if let sourcePort, sample.sourcePort != sourcePort { return false }
        if let destinationPort, sample.destinationPort != destinationPort { return false }
        if let lengthMin, sample.length < lengthMin { return false }
        if let lengthMax, sample.length > lengthMax { return false }
        if let ttl, sample.ttl != ttl { return false }
        if !sourcePrefixes.isEmpty && !sourcePrefixes.contains(where: { $0.contains(sample.source) }) { return false }
        return true
    }

    /// The nftables conditions besides the destination, in the target's family.
    package var nftConditions: [String] {
        let v4 = target.isIPv4
        var conditions: [String] = []
        if fragments { conditions.append(v4 ? "ip frag-off & 0x3fff != 0" : "exthdr frag exists") }
        if let protocolNumber { conditions.append("meta l4proto \(protocolNumber)") }
        let transport = protocolNumber == 6 ? "tcp" : "udp"
        if let sourcePort { conditions.append("\(transport) sport \(sourcePort)") }
        if let destinationPort { conditions.append("\(transport) dport \(destinationPort)") }
        if let tcpFlags { conditions.append("tcp flags == 0x\(String(tcpFlags, radix: 16))") }
        if let icmpType { conditions.append(v4 ? "icmp type \(icmpType)" : "icmpv6 type \(icmpType)") }
        if let lengthMin, let lengthMax {
            // IPv6's length field leaves out its 40-byte header.
            let offset: UInt16 = v4 ? 0 : 40
            let low = lengthMin >= offset ? lengthMin - offset : 0
            let high = lengthMax >= offset ? lengthMax - offset : 0
            conditions.append((v4 ? "ip length " : "ip6 length ") + (low == high ? "\(low)" : "\(low)-\(high)"))
        }
        if let ttl { conditions.append(v4 ? "ip ttl \(ttl)" : "ip6 hoplimit \(ttl)") }
        if !sourcePrefixes.isEmpty {
            let sources = sourcePrefixes.map { $0.length == $0.address.bitWidth ? "\($0.address)" : "\($0)" }
            conditions.append((v4 ? "ip saddr " : "ip6 saddr ") + (sources.count == 1 ? sources[0] : "{ " + sources.joined(separator: ", ") + " }"))
        }
        return conditions
    }

    /// The whole match as one nftables expression (what the API shows).
    package var nftMatch: String {
        ([(target.isIPv4 ? "ip daddr " : "ip6 daddr ") + "\(target)"] + nftConditions).joined(separator: " ")
    }
}
