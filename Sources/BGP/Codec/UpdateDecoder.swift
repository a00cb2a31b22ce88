import MoatModel

/// Reads an UPDATE body with the error handling of RFC 7606: only what makes the message
/// unusable resets the session (thrown); everything else is collected in
/// `UpdateMessage.errors` with its approach, treat-as-withdraw or attribute discard.
struct UpdateDecoder {
    let options: BGPCodecOptions

    func decode(_ body: [UInt8]) throws(BGPDecodeError) -> UpdateMessage {
        var reader = ByteReader(body)
        // RFC 7606 §4: lengths that overrun the message leave nothing trustworthy to act on.
        guard let withdrawnLength = reader.u16(), var withdrawnReader = reader.sub(Int(withdrawnLength)) else {
            throw BGPDecodeError(.malformedAttributeList, detail: "withdrawn routes length overruns the message")
        }
        guard let attributesLength = reader.u16(), var attributeReader = reader.sub(Int(attributesLength)) else {
            throw BGPDecodeError(.malformedAttributeList, detail: "total path attribute length overruns the message")
        }
        // RFC 7606 §5.3: a withdrawn routes or NLRI field that does not parse cannot be
        // treated as a withdraw, since the routes themselves are unknown.
        guard case .success(let withdrawn) = PrefixCodec.decodeAll(&withdrawnReader, ipv6: false) else {
            throw BGPDecodeError(.malformedAttributeList, detail: "withdrawn routes do not parse")
        }
        guard case .success(let nlri) = PrefixCodec.decodeAll(&reader, ipv6: false) else {
            throw BGPDecodeError(.invalidNetworkField, detail: "NLRI field does not parse")
        }

        var attributes: [PathAttribute] = []
        var errors: [BGPDecodeError] = []
        var seen: Set<UInt8> = []
        while !attributeReader.isAtEnd {
            let start = attributeReader.offset
            guard let flagsOctet = attributeReader.u8(), let typeCode = attributeReader.u8(),
                  let length = PathAttributeFlags(rawValue: flagsOctet).contains(.extendedLength)
                      ? attributeReader.u16().map(Int.init) : attributeReader.u8().map(Int.init),
                  let value = attributeReader.read(length)
            else {
                errors.append(try structuralError(at: start, seen: seen))
                break
            }
            let flags = PathAttributeFlags(rawValue: flagsOctet)
            let whole = Array(body[start..<attributeReader.offset])

            // RFC 7606 §3 (g): a repeated MP_REACH_NLRI or MP_UNREACH_NLRI resets the session;
            // any other repeated attribute is discarded after the first.
            guard seen.insert(typeCode).inserted else {
                if typeCode == PathAttributeTable.mpReachNLRI || typeCode == PathAttributeTable.mpUnreachNLRI {
                    throw BGPDecodeError(.malformedAttributeList, attribute: typeCode, detail: "attribute \(typeCode) appears twice")
                }
                errors.append(BGPDecodeError(.malformedAttributeList, .attributeDiscard, data: whole, attribute: typeCode,
                                             detail: "attribute \(typeCode) appears again; the first is kept"))
                continue
            }

            guard let row = PathAttributeTable.row(typeCode) else {
                // RFC 4271 §5, §6.3: an unknown well-known attribute is an error; unknown optional
                // transitive ones are passed along with Partial set; non-transitive ones are
                // quietly ignored.
                guard flags.contains(.optional) else {
                    throw BGPDecodeError(.unrecognizedWellKnownAttribute, data: whole, attribute: typeCode,
                                         detail: "unknown well-known attribute \(typeCode)")
                }
                if flags.contains(.transitive) {
                    let kept = flags.subtracting(.extendedLength).union(.partial)
                    attributes.append(.unknown(RawPathAttribute(flags: kept, typeCode: typeCode, value: value)))
                }
                continue
            }
            // RFC 6793 §3: AS4_PATH and AS4_AGGREGATOR from a 4-octet speaker are discarded.
            if options.fourOctetAS, typeCode == PathAttributeTable.as4Path || typeCode == PathAttributeTable.as4Aggregator {
                continue
            }
            // RFC 7606 §7.5: LOCAL_PREF from an external peer is discarded.
            if !options.peerIsInternal, typeCode == PathAttributeTable.localPreference { continue }

            // RFC 7606 §3 (c): Optional/Transitive bits that contradict the type make the
            // attribute malformed, treated as a withdraw. The value is still read so that an
            // MP_REACH_NLRI's routes are known and can be withdrawn.
            if flags.category != row.flags {
                errors.append(BGPDecodeError(.attributeFlagsError, .treatAsWithdraw, data: whole, attribute: typeCode,
                                             detail: "\(row.name) with flags 0x\(String(flagsOctet, radix: 16))"))
            }
            do {
                attributes.append(try row.decode(value, options))
            } catch {
                let action = error.action ?? row.malformed
                let decodeError = BGPDecodeError(error.code, action, data: whole, attribute: typeCode, detail: error.detail)
                if action == .sessionReset { throw decodeError }
                errors.append(decodeError)
            }
        }

        errors += missingAttributes(nlri: nlri, attributes: attributes, seen: seen)
        return UpdateMessage(withdrawn: withdrawn, attributes: attributes, nlri: nlri, errors: errors)
    }

    /// An attribute header or value that runs past the path attributes (RFC 7606 §4):
    /// treat-as-withdraw, which needs every route of the UPDATE to be known. MP_REACH_NLRI and
    /// MP_UNREACH_NLRI must come first (RFC 7606 §5.1); so when other families were
    /// negotiated and neither came before the break, routes may hide in the unread part and
    /// the session is reset instead.
    private func structuralError(at offset: Int, seen: Set<UInt8>) throws(BGPDecodeError) -> BGPDecodeError {
        let otherFamilies = options.families.contains { $0 != .ipv4Unicast }
        let sawMultiprotocol = seen.contains(PathAttributeTable.mpReachNLRI) || seen.contains(PathAttributeTable.mpUnreachNLRI)
        let action: BGPDecodeError.Action = otherFamilies && !sawMultiprotocol ? .sessionReset : .treatAsWithdraw
        let error = BGPDecodeError(.malformedAttributeList, action, detail: "path attribute at offset \(offset) overruns the attributes")
        if action == .sessionReset { throw error }
        return error
    }

    /// RFC 4271 §5: ORIGIN and AS_PATH with any route, NEXT_HOP with NLRI-field routes
    /// (RFC 4760 §3 makes it optional for MP_REACH_NLRI alone). RFC 7606 §3 (d): a missing
    /// one is a treat-as-withdraw. An attribute present but malformed has its own error.
    private func missingAttributes(nlri: [CIDR], attributes: [PathAttribute], seen: Set<UInt8>) -> [BGPDecodeError] {
        let reaches = attributes.contains { if case .mpReachNLRI = $0 { return true } else { return false } }
        var required: [(UInt8, String)] = []
        if !nlri.isEmpty || reaches { required += [(PathAttributeTable.origin, "ORIGIN"), (PathAttributeTable.asPath, "AS_PATH")] }
        if !nlri.isEmpty { required.append((PathAttributeTable.nextHop, "NEXT_HOP")) }
        return required.filter { !seen.contains($0.0) }.map { code, name in
            BGPDecodeError(.missingWellKnownAttribute, .treatAsWithdraw, data: [code], attribute: code, detail: "\(name) is missing")
        }
    }
}
