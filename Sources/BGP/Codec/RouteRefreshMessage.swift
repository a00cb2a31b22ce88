/// ROUTE-REFRESH (RFC 2918 §3): ask the peer to send its routes of one family again.
/// The octet between AFI and SAFI is reserved in RFC 2918 and the message subtype in
/// RFC 7313 (0 = normal request, 1 = beginning of refresh, 2 = end of refresh).
package struct RouteRefreshMessage: Hashable, Sendable {
    package var family: AddressFamily
    package var subtype: UInt8

    package init(family: AddressFamily, subtype: UInt8 = 0) {
        self.family = family
        self.subtype = subtype
    }

    /// Body: AFI (2), subtype (1), SAFI (1).
    static func decode(body: [UInt8], message: [UInt8]) throws(BGPDecodeError) -> RouteRefreshMessage {
        // RFC 7313 §5: any length but 4 after the header is "Invalid Message Length", and the
        // data carries the whole message. Moat negotiates no ORF (RFC 5291), so no
        // request may be longer.
        guard body.count == 4 else {
            throw BGPDecodeError(.invalidRouteRefreshLength, data: message, detail: "ROUTE-REFRESH body of \(body.count) bytes")
        }
        let afi = UInt16(body[0]) << 8 | UInt16(body[1])
        return RouteRefreshMessage(family: AddressFamily(afi: afi, safi: body[3]), subtype: body[2])
    }

    func encode(into bytes: inout [UInt8]) {
        bytes.put16(family.afi)
        bytes.append(subtype)
        bytes.append(family.safi)
    }
}
