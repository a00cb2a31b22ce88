import MoatModel

/// MP_REACH_NLRI (RFC 4760 §3) for IPv4 and IPv6 unicast: routes of a family with their
/// next hop. An IPv6 next hop is 16 bytes, or 32 with a link-local address after the global
/// one (RFC 2545 §3); IPv4 routes may have an IPv6 next hop (RFC 8950).
package struct MultiprotocolReach: Hashable, Sendable {
    package var family: AddressFamily
    package var nextHop: IPAddress
    package var linkLocalNextHop: IPAddress?
    package var nlri: [CIDR]

    package init(family: AddressFamily, nextHop: IPAddress, linkLocalNextHop: IPAddress? = nil, nlri: [CIDR]) {
        self.family = family
        self.nextHop = nextHop
        self.linkLocalNextHop = linkLocalNextHop
        self.nlri = nlri
    }

    /// AFI (2), SAFI (1), next hop length (1), next hop, reserved (1), NLRI.
    static func decode(_ value: [UInt8], _ options: BGPCodecOptions) throws(AttributeFault) -> MultiprotocolReach {
        var reader = ByteReader(value)
        guard let afi = reader.u16(), let safi = reader.u8(), let nextHopLength = reader.u8(),
              let nextHopBytes = reader.read(Int(nextHopLength)), reader.u8() != nil
        else {
            // RFC 7606 §7.11: the NLRI cannot be found, so its routes cannot be withdrawn.
            throw AttributeFault(.optionalAttributeError, .sessionReset, "MP_REACH_NLRI header overruns the attribute")
        }
        let family = AddressFamily(afi: afi, safi: safi)
        try MultiprotocolUnreach.check(family, options, "MP_REACH_NLRI")
        let nextHop: IPAddress
        var linkLocal: IPAddress?
        switch (Int(nextHopLength), family) {
        case (4, .ipv4Unicast):
            nextHop = .v4(nextHopBytes.prefix(4).reduce(0) { $0 << 8 | UInt32($1) })
        case (16, _), (32, _):
            nextHop = .v6(nextHopBytes.prefix(16).reduce(0) { $0 << 8 | UInt128($1) })
            if nextHopLength == 32 { linkLocal = .v6(nextHopBytes.dropFirst(16).reduce(0) { $0 << 8 | UInt128($1) }) }
        default:
            // RFC 7606 §7.11: a next hop length that is not the expected one is a session reset.
            throw AttributeFault(.optionalAttributeError, .sessionReset, "next hop of \(nextHopLength) bytes for \(family)")
        }
        guard case .success(let nlri) = PrefixCodec.decodeAll(&reader, ipv6: family == .ipv6Unicast) else {
            throw AttributeFault(.optionalAttributeError, .sessionReset, "malformed \(family) NLRI in MP_REACH_NLRI")
        }
        return MultiprotocolReach(family: family, nextHop: nextHop, linkLocalNextHop: linkLocal, nlri: nlri)
    }

    func encode() throws(BGPEncodeError) -> [UInt8] {
        guard family.addressBits != nil else {
            throw BGPEncodeError(.unsupportedAddressFamily, "MP_REACH_NLRI for \(family)")
        }
        var bytes: [UInt8] = []
        bytes.put16(family.afi)
        bytes.append(family.safi)
        var hop = nextHop.bytes
        if let linkLocal = linkLocalNextHop {
            guard !nextHop.isIPv4, !linkLocal.isIPv4 else {
                throw BGPEncodeError(.addressFamilyMismatch, "a link-local next hop needs an IPv6 next hop")
            }
            hop += linkLocal.bytes
        }
        if nextHop.isIPv4 && family != .ipv4Unicast {
            throw BGPEncodeError(.addressFamilyMismatch, "IPv4 next hop for \(family)")
        }
        bytes.append(UInt8(hop.count))
        bytes.append(contentsOf: hop)
        bytes.append(0)
        try MultiprotocolUnreach.encode(nlri, of: family, into: &bytes)
        return bytes
    }
}

/// MP_UNREACH_NLRI (RFC 4760 §4): withdrawn routes of a family. With no routes it is the
/// End-of-RIB marker of that family (RFC 4724 §2).
package struct MultiprotocolUnreach: Hashable, Sendable {
    package var family: AddressFamily
    package var withdrawn: [CIDR]

    package init(family: AddressFamily, withdrawn: [CIDR]) {
        self.family = family
        self.withdrawn = withdrawn
    }

    /// AFI (2), SAFI (1), withdrawn routes.
    static func decode(_ value: [UInt8], _ options: BGPCodecOptions) throws(AttributeFault) -> MultiprotocolUnreach {
        var reader = ByteReader(value)
        guard let afi = reader.u16(), let safi = reader.u8() else {
            throw AttributeFault(.optionalAttributeError, .sessionReset, "MP_UNREACH_NLRI shorter than its header")
        }
        let family = AddressFamily(afi: afi, safi: safi)
        try check(family, options, "MP_UNREACH_NLRI")
        guard case .success(let withdrawn) = PrefixCodec.decodeAll(&reader, ipv6: family == .ipv6Unicast) else {
            throw AttributeFault(.optionalAttributeError, .sessionReset, "malformed \(family) withdrawn routes in MP_UNREACH_NLRI")
        }
        return MultiprotocolUnreach(family: family, withdrawn: withdrawn)
    }

    func encode() throws(BGPEncodeError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.put16(family.afi)
        bytes.append(family.safi)
        try Self.encode(withdrawn, of: family, into: &bytes)
        return bytes
    }

    /// Routes of a family the session did not negotiate are ignored (RFC 4760 §6 leaves a
    /// speaker free to); the attribute is discarded with an error the caller can log.
    static func check(_ family: AddressFamily, _ options: BGPCodecOptions, _ name: String) throws(AttributeFault) {
        guard options.families.contains(family), family.addressBits != nil else {
            throw AttributeFault(.optionalAttributeError, .attributeDiscard, "\(name) for \(family), which was not negotiated")
        }
    }

    static func encode(_ prefixes: [CIDR], of family: AddressFamily, into bytes: inout [UInt8]) throws(BGPEncodeError) {
        guard let bits = family.addressBits else {
            throw BGPEncodeError(.unsupportedAddressFamily, "routes of \(family)")
        }
        for prefix in prefixes {
            guard prefix.address.bitWidth == bits else {
                throw BGPEncodeError(.addressFamilyMismatch, "\(prefix) in \(family) routes")
            }
            PrefixCodec.encode(prefix, into: &bytes)
        }
    }
}
