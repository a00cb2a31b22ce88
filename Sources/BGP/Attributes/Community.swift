/// A community (RFC 1997): 16 bits of AS, 16 bits of value, written "65000:100".
package struct Community: Hashable, Sendable, Comparable, CustomStringConvertible {
    package var rawValue: UInt32

    package init(rawValue: UInt32) { self.rawValue = rawValue }

    package init(_ asn: UInt16, _ value: UInt16) {
        rawValue = UInt32(asn) << 16 | UInt32(value)
    }

    package var asn: UInt16 { UInt16(rawValue >> 16) }
    package var value: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    // RFC 1997 §"Well-known Communities".
    package static let noExport = Community(rawValue: 0xFFFF_FF01)
    package static let noAdvertise = Community(rawValue: 0xFFFF_FF02)
    package static let noExportSubconfed = Community(rawValue: 0xFFFF_FF03)
    /// RFC 3765.
    package static let noPeer = Community(rawValue: 0xFFFF_FF04)
    /// RFC 8326 §5: the route is about to go away; receivers lower its preference.
    package static let gracefulShutdown = Community(rawValue: 0xFFFF_0000)
    /// RFC 7611.
    package static let acceptOwn = Community(rawValue: 0xFFFF_0001)
    /// RFC 7999.
    package static let blackhole = Community(rawValue: 0xFFFF_029A)

    package var wellKnownName: String? {
        switch self {
        case .noExport: return "NO_EXPORT"
        case .noAdvertise: return "NO_ADVERTISE"
        case .noExportSubconfed: return "NO_EXPORT_SUBCONFED"
        case .noPeer: return "NOPEER"
        case .gracefulShutdown: return "GRACEFUL_SHUTDOWN"
        case .acceptOwn: return "ACCEPT_OWN"
        case .blackhole: return "BLACKHOLE"
        default: return nil
        }
    }

    package var description: String { "\(asn):\(value)" }

    package static func < (lhs: Community, rhs: Community) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A large community (RFC 8092): three 32-bit numbers, "global:local1:local2".
package struct LargeCommunity: Hashable, Sendable, Comparable, CustomStringConvertible {
    package var globalAdministrator: UInt32
    package var localData1: UInt32
    package var localData2: UInt32

    package init(_ globalAdministrator: UInt32, _ localData1: UInt32, _ localData2: UInt32) {
        self.globalAdministrator = globalAdministrator
        self.localData1 = localData1
        self.localData2 = localData2
    }

    package var description: String { "\(globalAdministrator):\(localData1):\(localData2)" }

    package static func < (lhs: LargeCommunity, rhs: LargeCommunity) -> Bool {
        (lhs.globalAdministrator, lhs.localData1, lhs.localData2) < (rhs.globalAdministrator, rhs.localData1, rhs.localData2)
    }
}
