@testable import Firewall
import MoatModel

/// Builds raw IPv4/IPv6 packets for evaluator tests (checksums are not checked, so zero).
struct PacketBuilder {
    enum Transport {
        case tcp(source: UInt16, destination: UInt16, flags: UInt8)
        case udp(source: UInt16, destination: UInt16)
        case icmp(type: UInt8, code: UInt8)
        case icmpv6(type: UInt8, code: UInt8)
        case raw(proto: UInt8, [UInt8])
    }

    var source = "192.0.2.1"
    var destination = "198.51.100.7"
    var ttl: UInt8 = 64
    var transport: Transport
    /// IPv4 fragment field (flags+offset); IPv6: a Fragment header with this offset/M word.
    var fragment: UInt16?
    var ipv4Options: [UInt8] = []

    var proto: UInt8 {
        switch transport {
        case .tcp: return 6
        case .udp: return 17
        case .icmp: return 1
        case .icmpv6: return 58
        case .raw(let proto, _): return proto
        }
    }

    var payload: [UInt8] {
        switch transport {
        case .tcp(let s, let d, let flags):
            return be16(s) + be16(d) + [0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]
        case .udp(let s, let d):
            return be16(s) + be16(d) + be16(8) + [0, 0]
        case .icmp(let type, let code), .icmpv6(let type, let code):
            return [type, code, 0, 0, 0, 0, 0, 0]
        case .raw(_, let bytes):
            return bytes
        }
    }

    var bytes: [UInt8] {
        let src = IPAddress(source)!
        let dst = IPAddress(destination)!
        if src.isIPv4 {
            let headerLength = 20 + ipv4Options.count
            let total = headerLength + payload.count
            return [0x40 | UInt8(headerLength / 4), 0] + be16(UInt16(total)) + [0, 0] + be16(fragment ?? 0)
                + [ttl, proto, 0, 0] + src.bytes + dst.bytes + ipv4Options + payload
        }
        var next = proto
        var extensions: [UInt8] = []
        if let fragment {
            extensions = [proto, 0] + be16(fragment) + [0, 0, 0, 1]
            next = 44
        }
        let body = extensions + payload
        return [0x60, 0, 0, 0] + be16(UInt16(body.count)) + [next, ttl] + src.bytes + dst.bytes + body
    }

    private func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xFF)] }
}
