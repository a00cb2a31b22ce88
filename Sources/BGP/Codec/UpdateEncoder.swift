import MoatModel

/// Writes an UPDATE body: withdrawn routes, path attributes (through `PathAttributeTable`),
/// NLRI.
struct UpdateEncoder {
    let options: BGPCodecOptions

    func encode(_ update: UpdateMessage, into bytes: inout [UInt8]) throws(BGPEncodeError) {
        var withdrawn: [UInt8] = []
        try Self.encodeIPv4(update.withdrawn, "withdrawn routes", into: &withdrawn)
        var attributes: [UInt8] = []
        for attribute in prepared(update.attributes) {
            try encode(attribute, into: &attributes)
        }
        var nlri: [UInt8] = []
        try Self.encodeIPv4(update.nlri, "NLRI", into: &nlri)
        guard withdrawn.count <= 0xffff, attributes.count <= 0xffff else {
            throw BGPEncodeError(.messageTooLong, "UPDATE fields longer than 65,535 bytes")
        }
        bytes.put16(UInt16(withdrawn.count))
        bytes.append(contentsOf: withdrawn)
        bytes.put16(UInt16(attributes.count))
        bytes.append(contentsOf: attributes)
        bytes.append(contentsOf: nlri)
    }

    /// The attributes as they go on the wire:
    /// - MP_REACH_NLRI and MP_UNREACH_NLRI first (RFC 7606 §5.1);
    /// - to a 2-octet peer, a path or aggregator with a 4-octet AS number also travels as
    ///   AS4_PATH / AS4_AGGREGATOR (RFC 6793 §4.2.2) unless the caller added them;
    /// - to a 4-octet peer, AS4_PATH and AS4_AGGREGATOR are never sent (RFC 6793 §3).
    func prepared(_ attributes: [PathAttribute]) -> [PathAttribute] {
        var multiprotocol: [PathAttribute] = []
        var others: [PathAttribute] = []
        let hasAS4Path = attributes.contains { $0.typeCode == PathAttributeTable.as4Path }
        let hasAS4Aggregator = attributes.contains { $0.typeCode == PathAttributeTable.as4Aggregator }
        for attribute in attributes {
            switch attribute {
            case .mpReachNLRI, .mpUnreachNLRI:
                multiprotocol.append(attribute)
            case .as4Path, .as4Aggregator:
                if !options.fourOctetAS { others.append(attribute) }
            case .asPath(let path):
                others.append(attribute)
                if !options.fourOctetAS, !hasAS4Path, path.needsFourOctets {
                    var as4 = path
                    as4.segments.removeAll { $0.type == .confedSequence || $0.type == .confedSet }
                    others.append(.as4Path(as4))
                }
            case .aggregator(let aggregator):
                others.append(attribute)
                if !options.fourOctetAS, !hasAS4Aggregator, aggregator.autonomousSystem > UInt32(UInt16.max) {
                    others.append(.as4Aggregator(aggregator))
                }
            default:
                others.append(attribute)
            }
        }
        return multiprotocol + others
    }

    func encode(_ attribute: PathAttribute, into bytes: inout [UInt8]) throws(BGPEncodeError) {
        let flags: PathAttributeFlags
        let value: [UInt8]
        if case .unknown(let raw) = attribute {
            flags = raw.flags
            value = raw.value
        } else if let row = PathAttributeTable.row(attribute.typeCode) {
            flags = row.flags
            value = try row.encode(attribute, options)
        } else {
            return
        }
        try Self.appendAttribute(flags: flags, typeCode: attribute.typeCode, value: value, into: &bytes)
    }

    /// Flags, type, then a 1-octet length, or a 2-octet one with Extended Length set when the
    /// value is longer than 255 bytes.
    static func appendAttribute(flags: PathAttributeFlags, typeCode: UInt8, value: [UInt8],
                                into bytes: inout [UInt8]) throws(BGPEncodeError) {
        guard value.count <= 0xffff else {
            throw BGPEncodeError(.fieldTooLong, "attribute \(typeCode) of \(value.count) bytes")
        }
        var wireFlags = flags.subtracting(.extendedLength)
        if value.count > 255 { wireFlags.insert(.extendedLength) }
        bytes.append(wireFlags.rawValue)
        bytes.append(typeCode)
        if value.count > 255 { bytes.put16(UInt16(value.count)) } else { bytes.append(UInt8(value.count)) }
        bytes.append(contentsOf: value)
    }

    private static func encodeIPv4(_ prefixes: [CIDR], _ field: String, into bytes: inout [UInt8]) throws(BGPEncodeError) {
        for prefix in prefixes {
            guard prefix.isIPv4 else {
                throw BGPEncodeError(.addressFamilyMismatch, "\(prefix) in the \(field) field; IPv6 goes in MP_REACH_NLRI / MP_UNREACH_NLRI")
            }
            PrefixCodec.encode(prefix, into: &bytes)
        }
    }
}
