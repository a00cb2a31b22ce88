/// One capability of an OPEN message's Capabilities optional parameter (RFC 5492).
/// Capabilities Moat does not use are kept with their raw value.
package enum Capability: Hashable, Sendable {
    /// Code 1, RFC 4760 §8: the speaker can exchange routes of this family.
    case multiprotocol(AddressFamily)
    /// Code 2, RFC 2918 §2.
    case routeRefresh
    /// Code 64, RFC 4724 §3.
    case gracefulRestart(GracefulRestartCapability)
    /// Code 65, RFC 6793 §3: the speaker's own AS number, on 4 octets.
    case fourOctetAS(UInt32)
    case unknown(code: UInt8, value: [UInt8])

    package var code: UInt8 {
        switch self {
        case .multiprotocol: return 1
        case .routeRefresh: return 2
        case .gracefulRestart: return 64
        case .fourOctetAS: return 65
        case .unknown(let code, _): return code
        }
    }

    /// Decodes one capability value. A known capability of the wrong length is an OPEN
    /// error: the peer would otherwise believe we understood it.
    static func decode(code: UInt8, value: [UInt8]) throws(BGPDecodeError) -> Capability {
        var reader = ByteReader(value)
        func malformed(_ what: String) -> BGPDecodeError {
            BGPDecodeError(.malformedOpen, data: [code, UInt8(truncatingIfNeeded: value.count)] + value,
                           detail: "\(what) capability of \(value.count) bytes")
        }
        switch code {
        case 1:
            guard value.count == 4, let afi = reader.u16(), let _ = reader.u8(), let safi = reader.u8() else {
                throw malformed("multiprotocol")
            }
            return .multiprotocol(AddressFamily(afi: afi, safi: safi))
        case 2:
            guard value.isEmpty else { throw malformed("route refresh") }
            return .routeRefresh
        case 64:
            guard let restart = GracefulRestartCapability(value) else { throw malformed("graceful restart") }
            return .gracefulRestart(restart)
        case 65:
            guard value.count == 4, let asn = reader.u32() else { throw malformed("4-octet AS") }
            return .fourOctetAS(asn)
        default:
            return .unknown(code: code, value: value)
        }
    }

    var value: [UInt8] {
        var bytes: [UInt8] = []
        switch self {
        case .multiprotocol(let family):
            bytes.put16(family.afi)
            bytes.append(0)
            bytes.append(family.safi)
        case .routeRefresh:
            break
        case .gracefulRestart(let restart):
            bytes = restart.value
        case .fourOctetAS(let asn):
            bytes.put32(asn)
        case .unknown(_, let value):
            bytes = value
        }
        return bytes
    }
}
