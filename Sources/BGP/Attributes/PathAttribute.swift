import MoatModel

/// One path attribute of an UPDATE (RFC 4271 §4.3, §5). How each is read and written is
/// one row of `PathAttributeTable`.
package enum PathAttribute: Hashable, Sendable {
    case origin(Origin)
    case asPath(ASPath)
    /// IPv4 next hop of the NLRI field.
    case nextHop(IPAddress)
    case multiExitDiscriminator(UInt32)
    case localPreference(UInt32)
    case atomicAggregate
    case aggregator(Aggregator)
    case communities([Community])
    case mpReachNLRI(MultiprotocolReach)
    case mpUnreachNLRI(MultiprotocolUnreach)
    /// RFC 6793: the 4-octet path beside a 2-octet AS_PATH, only between a 2-octet speaker and us.
    case as4Path(ASPath)
    case as4Aggregator(Aggregator)
    case largeCommunities([LargeCommunity])
    /// An optional transitive attribute Moat does not interpret, passed along with the
    /// Partial bit set (RFC 4271 §5).
    case unknown(RawPathAttribute)

    package var typeCode: UInt8 {
        switch self {
        case .origin: return PathAttributeTable.origin
        case .asPath: return PathAttributeTable.asPath
        case .nextHop: return PathAttributeTable.nextHop
        case .multiExitDiscriminator: return PathAttributeTable.multiExitDiscriminator
        case .localPreference: return PathAttributeTable.localPreference
        case .atomicAggregate: return PathAttributeTable.atomicAggregate
        case .aggregator: return PathAttributeTable.aggregator
        case .communities: return PathAttributeTable.communities
        case .mpReachNLRI: return PathAttributeTable.mpReachNLRI
        case .mpUnreachNLRI: return PathAttributeTable.mpUnreachNLRI
        case .as4Path: return PathAttributeTable.as4Path
        case .as4Aggregator: return PathAttributeTable.as4Aggregator
        case .largeCommunities: return PathAttributeTable.largeCommunities
        case .unknown(let raw): return raw.typeCode
        }
    }
}

/// ORIGIN values (RFC 4271 §4.3 a).
package enum Origin: UInt8, Hashable, Sendable {
    case igp = 0
    case egp = 1
    case incomplete = 2
}

/// AGGREGATOR / AS4_AGGREGATOR (RFC 4271 §4.3 g, RFC 6793 §3).
package struct Aggregator: Hashable, Sendable {
    package var autonomousSystem: UInt32
    /// IPv4 address of the aggregating speaker.
    package var address: UInt32

    package init(autonomousSystem: UInt32, address: UInt32) {
        self.autonomousSystem = autonomousSystem
        self.address = address
    }
}

/// An attribute kept as bytes: its flags (Partial set once received), type and value.
package struct RawPathAttribute: Hashable, Sendable {
    package var flags: PathAttributeFlags
    package var typeCode: UInt8
    package var value: [UInt8]

    package init(flags: PathAttributeFlags, typeCode: UInt8, value: [UInt8]) {
        self.flags = flags
        self.typeCode = typeCode
        self.value = value
    }
}

/// The attribute flags octet (RFC 4271 §4.3).
package struct PathAttributeFlags: OptionSet, Hashable, Sendable {
    package let rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }

    package static let optional = PathAttributeFlags(rawValue: 0x80)
    package static let transitive = PathAttributeFlags(rawValue: 0x40)
    package static let partial = PathAttributeFlags(rawValue: 0x20)
    package static let extendedLength = PathAttributeFlags(rawValue: 0x10)

    /// Well-known attributes are transitive and not optional.
    package static let wellKnown: PathAttributeFlags = [.transitive]
    package static let optionalTransitive: PathAttributeFlags = [.optional, .transitive]
    package static let optionalNonTransitive: PathAttributeFlags = [.optional]

    /// The two bits whose meaning is fixed for each attribute type (RFC 7606 §3 (c)).
    var category: PathAttributeFlags { intersection([.optional, .transitive]) }
}
