/// An AFI/SAFI pair (RFC 4760 §3; IANA "Address Family Numbers" and "SAFI Values").
/// Values outside IPv4/IPv6 unicast are kept as numbers so that capabilities and
/// route-refresh requests for them survive a decode.
package struct AddressFamily: Hashable, Sendable, Comparable, CustomStringConvertible {
    package var afi: UInt16
    package var safi: UInt8

    package init(afi: UInt16, safi: UInt8) {
        self.afi = afi
        self.safi = safi
    }

    package static let ipv4Unicast = AddressFamily(afi: 1, safi: 1)
    package static let ipv6Unicast = AddressFamily(afi: 2, safi: 1)

    /// The prefix length limit of the family's addresses, for the two families whose NLRI
    /// Moat parses.
    var addressBits: Int? {
        switch self {
        case .ipv4Unicast: return 32
        case .ipv6Unicast: return 128
        default: return nil
        }
    }

    package static func < (lhs: AddressFamily, rhs: AddressFamily) -> Bool {
        (lhs.afi, lhs.safi) < (rhs.afi, rhs.safi)
    }

    package var description: String {
        switch self {
        case .ipv4Unicast: return "ipv4-unicast"
        case .ipv6Unicast: return "ipv6-unicast"
        default: return "afi\(afi)-safi\(safi)"
        }
    }
}
