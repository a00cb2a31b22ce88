import MoatModel

/// Why one attribute's value could not be read; the UPDATE decoder adds the attribute's
/// bytes and the RFC 7606 action (the row's, unless the fault names a stronger or weaker one).
struct AttributeFault: Error {
    var code: BGPDecodeError.Code
    var action: BGPDecodeError.Action?
    var detail: String

    init(_ code: BGPDecodeError.Code, _ action: BGPDecodeError.Action, _ detail: String) {
        self.code = code
        self.action = action
        self.detail = detail
    }

    init(_ code: BGPDecodeError.Code, _ detail: String) {
        self.code = code
        self.action = nil
        self.detail = detail
    }
}

/// How one path attribute type is read and written: one row per attribute, as BIRD's
/// `bgp_attr_table`. Adding an attribute is a `PathAttribute` case and a row here.
struct PathAttributeRow: Sendable {
    let typeCode: UInt8
    let name: String
    /// The Optional and Transitive bits the attribute must carry (RFC 4271 §5).
    let flags: PathAttributeFlags
    /// RFC 7606 §7: what a malformed value of this attribute costs.
    let malformed: BGPDecodeError.Action
    let decode: @Sendable (_ value: [UInt8], _ options: BGPCodecOptions) throws(AttributeFault) -> PathAttribute
    let encode: @Sendable (_ attribute: PathAttribute, _ options: BGPCodecOptions) throws(BGPEncodeError) -> [UInt8]
}

enum PathAttributeTable {
    static let origin: UInt8 = 1
    static let asPath: UInt8 = 2
    static let nextHop: UInt8 = 3
    static let multiExitDiscriminator: UInt8 = 4
    static let localPreference: UInt8 = 5
    static let atomicAggregate: UInt8 = 6
    static let aggregator: UInt8 = 7
    static let communities: UInt8 = 8
    static let mpReachNLRI: UInt8 = 14
    static let mpUnreachNLRI: UInt8 = 15
    static let as4Path: UInt8 = 17
    static let as4Aggregator: UInt8 = 18
    static let largeCommunities: UInt8 = 32

    static func row(_ typeCode: UInt8) -> PathAttributeRow? { byCode[typeCode] }

    private static let byCode: [UInt8: PathAttributeRow] = Dictionary(uniqueKeysWithValues: rows.map { ($0.typeCode, $0) })

    static let rows: [PathAttributeRow] = [
        // RFC 4271 §5.1.1; RFC 7606 §7.1.
        PathAttributeRow(typeCode: origin, name: "ORIGIN", flags: .wellKnown, malformed: .treatAsWithdraw,
            decode: { value, _ throws(AttributeFault) in
                guard value.count == 1 else { throw AttributeFault(.attributeLengthError, "ORIGIN of \(value.count) bytes") }
                guard let origin = Origin(rawValue: value[0]) else { throw AttributeFault(.invalidOrigin, "ORIGIN \(value[0])") }
                return .origin(origin)
            },
            encode: { attribute, _ in
                guard case .origin(let origin) = attribute else { return [] }
                return [origin.rawValue]
            }),
        // RFC 4271 §5.1.2, RFC 6793 §4; RFC 7606 §7.2.
        PathAttributeRow(typeCode: asPath, name: "AS_PATH", flags: .wellKnown, malformed: .treatAsWithdraw,
            decode: { value, options throws(AttributeFault) in
                guard let path = ASPath.decode(value, asSize: options.fourOctetAS ? 4 : 2) else {
                    throw AttributeFault(.malformedASPath, "AS_PATH segments do not parse")
                }
                return .asPath(path)
            },
            encode: { attribute, options in
                guard case .asPath(let path) = attribute else { return [] }
                return path.encode(asSize: options.fourOctetAS ? 4 : 2)
            }),
        // RFC 4271 §5.1.3; RFC 7606 §7.3. A next hop that cannot be a host is "semantically
        // incorrect" (RFC 4271 §6.3): the routes are ignored, the session stays up.
        PathAttributeRow(typeCode: nextHop, name: "NEXT_HOP", flags: .wellKnown, malformed: .treatAsWithdraw,
            decode: { value, _ throws(AttributeFault) in
                guard value.count == 4 else { throw AttributeFault(.attributeLengthError, "NEXT_HOP of \(value.count) bytes") }
                let address = value.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                guard address != 0, address >> 28 < 0xe else {
                    throw AttributeFault(.invalidNextHop, "NEXT_HOP \(IPAddress.v4(address)) is not a host address")
                }
                return .nextHop(.v4(address))
            },
            encode: { attribute, _ throws(BGPEncodeError) in
                guard case .nextHop(let address) = attribute else { return [] }
                guard address.isIPv4 else {
                    throw BGPEncodeError(.addressFamilyMismatch, "NEXT_HOP \(address) is not IPv4; use MP_REACH_NLRI")
                }
                return address.bytes
            }),
        // RFC 4271 §5.1.4; RFC 7606 §7.4.
        fourOctetRow(multiExitDiscriminator, "MULTI_EXIT_DISC", .optionalNonTransitive, { .multiExitDiscriminator($0) }) {
            if case .multiExitDiscriminator(let value) = $0 { return value } else { return nil }
        },
        // RFC 4271 §5.1.5; RFC 7606 §7.5.
        fourOctetRow(localPreference, "LOCAL_PREF", .wellKnown, { .localPreference($0) }) {
            if case .localPreference(let value) = $0 { return value } else { return nil }
        },
        // RFC 4271 §5.1.6; RFC 7606 §7.6.
        PathAttributeRow(typeCode: atomicAggregate, name: "ATOMIC_AGGREGATE", flags: .wellKnown, malformed: .attributeDiscard,
            decode: { value, _ throws(AttributeFault) in
                guard value.isEmpty else { throw AttributeFault(.attributeLengthError, "ATOMIC_AGGREGATE of \(value.count) bytes") }
                return .atomicAggregate
            },
            encode: { _, _ in [] }),
        // RFC 4271 §5.1.7, RFC 6793 §4; RFC 7606 §7.7.
        PathAttributeRow(typeCode: aggregator, name: "AGGREGATOR", flags: .optionalTransitive, malformed: .attributeDiscard,
            decode: { value, options throws(AttributeFault) in
                guard let aggregator = decodeAggregator(value, asSize: options.fourOctetAS ? 4 : 2) else {
                    throw AttributeFault(.attributeLengthError, "AGGREGATOR of \(value.count) bytes")
                }
                return .aggregator(aggregator)
            },
            encode: { attribute, options in
                guard case .aggregator(let aggregator) = attribute else { return [] }
                return encodeAggregator(aggregator, asSize: options.fourOctetAS ? 4 : 2)
            }),
        // RFC 1997; RFC 7606 §7.8.
        PathAttributeRow(typeCode: communities, name: "COMMUNITIES", flags: .optionalTransitive, malformed: .treatAsWithdraw,
            decode: { value, _ throws(AttributeFault) in
                guard !value.isEmpty, value.count % 4 == 0 else {
                    throw AttributeFault(.attributeLengthError, "COMMUNITIES of \(value.count) bytes")
                }
                var reader = ByteReader(value)
                var list: [Community] = []
                while let raw = reader.u32() { list.append(Community(rawValue: raw)) }
                return .communities(list)
            },
            encode: { attribute, _ in
                guard case .communities(let list) = attribute else { return [] }
                var bytes: [UInt8] = []
                for community in list { bytes.put32(community.rawValue) }
                return bytes
            }),
        // RFC 4760 §3; RFC 7606 §7.11.
        PathAttributeRow(typeCode: mpReachNLRI, name: "MP_REACH_NLRI", flags: .optionalNonTransitive, malformed: .sessionReset,
            decode: { value, options throws(AttributeFault) in .mpReachNLRI(try MultiprotocolReach.decode(value, options)) },
            encode: { attribute, _ throws(BGPEncodeError) in
                guard case .mpReachNLRI(let reach) = attribute else { return [] }
                return try reach.encode()
            }),
        // RFC 4760 §4; RFC 7606 §7.11.
        PathAttributeRow(typeCode: mpUnreachNLRI, name: "MP_UNREACH_NLRI", flags: .optionalNonTransitive, malformed: .sessionReset,
            decode: { value, options throws(AttributeFault) in .mpUnreachNLRI(try MultiprotocolUnreach.decode(value, options)) },
            encode: { attribute, _ throws(BGPEncodeError) in
                guard case .mpUnreachNLRI(let unreach) = attribute else { return [] }
                return try unreach.encode()
            }),
        // RFC 6793 §3, §6: always 4-octet; confederation segments are dropped; malformed is
        // an attribute discard.
        PathAttributeRow(typeCode: as4Path, name: "AS4_PATH", flags: .optionalTransitive, malformed: .attributeDiscard,
            decode: { value, _ throws(AttributeFault) in
                guard var path = ASPath.decode(value, asSize: 4) else {
                    throw AttributeFault(.malformedASPath, "AS4_PATH segments do not parse")
                }
                path.segments.removeAll { $0.type == .confedSequence || $0.type == .confedSet }
                return .as4Path(path)
            },
            encode: { attribute, _ in
                guard case .as4Path(let path) = attribute else { return [] }
                return path.encode(asSize: 4)
            }),
        // RFC 6793 §3, §6.
        PathAttributeRow(typeCode: as4Aggregator, name: "AS4_AGGREGATOR", flags: .optionalTransitive, malformed: .attributeDiscard,
            decode: { value, _ throws(AttributeFault) in
                guard value.count == 8, let aggregator = decodeAggregator(value, asSize: 4) else {
                    throw AttributeFault(.attributeLengthError, "AS4_AGGREGATOR of \(value.count) bytes")
                }
                return .as4Aggregator(aggregator)
            },
            encode: { attribute, _ in
                guard case .as4Aggregator(let aggregator) = attribute else { return [] }
                return encodeAggregator(aggregator, asSize: 4)
            }),
        // RFC 8092 §5, §6: a non-zero multiple of 12 bytes, else treat-as-withdraw.
        PathAttributeRow(typeCode: largeCommunities, name: "LARGE_COMMUNITY", flags: .optionalTransitive, malformed: .treatAsWithdraw,
            decode: { value, _ throws(AttributeFault) in
                guard !value.isEmpty, value.count % 12 == 0 else {
                    throw AttributeFault(.attributeLengthError, "LARGE_COMMUNITY of \(value.count) bytes")
                }
                var reader = ByteReader(value)
                var list: [LargeCommunity] = []
                while let global = reader.u32(), let first = reader.u32(), let second = reader.u32() {
                    list.append(LargeCommunity(global, first, second))
                }
                return .largeCommunities(list)
            },
            encode: { attribute, _ in
                guard case .largeCommunities(let list) = attribute else { return [] }
                var bytes: [UInt8] = []
                for community in list {
                    bytes.put32(community.globalAdministrator)
                    bytes.put32(community.localData1)
                    bytes.put32(community.localData2)
                }
                return bytes
            }),
    ]

    /// A 4-octet unsigned value whose wrong length is a treat-as-withdraw (MED, LOCAL_PREF).
    private static func fourOctetRow(_ typeCode: UInt8, _ name: String, _ flags: PathAttributeFlags,
                                     _ make: @escaping @Sendable (UInt32) -> PathAttribute,
                                     _ value: @escaping @Sendable (PathAttribute) -> UInt32?) -> PathAttributeRow {
        PathAttributeRow(typeCode: typeCode, name: name, flags: flags, malformed: .treatAsWithdraw,
            decode: { bytes, _ throws(AttributeFault) in
                guard bytes.count == 4 else { throw AttributeFault(.attributeLengthError, "\(name) of \(bytes.count) bytes") }
                return make(bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            },
            encode: { attribute, _ in
                var bytes: [UInt8] = []
                if let number = value(attribute) { bytes.put32(number) }
                return bytes
            })
    }

    private static func decodeAggregator(_ value: [UInt8], asSize: Int) -> Aggregator? {
        guard value.count == asSize + 4 else { return nil }
        var reader = ByteReader(value)
        guard let asn = asSize == 4 ? reader.u32() : reader.u16().map(UInt32.init), let address = reader.u32() else { return nil }
        return Aggregator(autonomousSystem: asn, address: address)
    }

    private static func encodeAggregator(_ aggregator: Aggregator, asSize: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        if asSize == 4 {
            bytes.put32(aggregator.autonomousSystem)
        } else {
            let asn = aggregator.autonomousSystem
            bytes.put16(asn > UInt32(UInt16.max) ? OpenMessage.asTrans : UInt16(asn))
        }
        bytes.put32(aggregator.address)
        return bytes
    }
}
