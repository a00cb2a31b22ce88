/// Checks a received OPEN against the configuration and works out what was negotiated
/// (RFC 4271 §6.2, RFC 6793, RFC 5492). A rejection carries the NOTIFICATION to send.
enum OpenNegotiation {
    static func negotiate(_ configuration: SessionConfiguration, received open: OpenMessage) -> Result<Negotiated, BGPDecodeError> {
        // The decoder refuses other versions; an OPEN built in memory is checked here too.
        guard open.version == 4 else {
            return .failure(BGPDecodeError(.unsupportedVersionNumber, data: [0, 4], detail: "BGP version \(open.version)"))
        }
        // RFC 6793 §4.1: with the 4-octet AS capability the peer's AS is the capability's value,
        // and My AS must agree with it (the value itself, or AS_TRANS when it is too large).
        let peerAS = open.autonomousSystem
        if let fourOctet = open.fourOctetAS {
            let expectedField = fourOctet > UInt32(UInt16.max) ? OpenMessage.asTrans : UInt16(fourOctet)
            guard open.myAutonomousSystem == expectedField else {
                return .failure(BGPDecodeError(.badPeerAS, data: .u16(open.myAutonomousSystem),
                                               detail: "My AS \(open.myAutonomousSystem) disagrees with 4-octet AS \(fourOctet)"))
            }
        }
        guard peerAS == configuration.peerAS else {
            return .failure(BGPDecodeError(.badPeerAS, data: .u16(open.myAutonomousSystem),
                                           detail: "peer AS \(peerAS), expected \(configuration.peerAS)"))
        }
        // RFC 6286 §2.2: zero is never valid; our own identifier is refused from an internal peer.
        guard open.identifier != 0, !(configuration.isInternal && open.identifier == configuration.identifier) else {
            return .failure(BGPDecodeError(.badBGPIdentifier, detail: "BGP identifier \(open.identifier)"))
        }
        // RFC 4271 §4.2: the hold time is 0 or at least 3 seconds.
        guard open.holdTime == 0 || open.holdTime >= 3 else {
            return .failure(BGPDecodeError(.unacceptableHoldTime, detail: "hold time \(open.holdTime) s"))
        }
        let ours = configuration.families.isEmpty ? [.ipv4Unicast] : configuration.families
        let theirs = open.multiprotocolFamilies.isEmpty ? [.ipv4Unicast] : open.multiprotocolFamilies
        let families = Set(ours).intersection(theirs)
        // RFC 5492 §5: nothing in common to exchange; the data lists what we support.
        guard !families.isEmpty else {
            var data: [UInt8] = []
            for family in ours {
                data += [1, 4]
                data += Capability.multiprotocol(family).value
            }
            return .failure(BGPDecodeError(.unsupportedCapability, data: data, detail: "no address family in common"))
        }
        // RFC 4271 §4.2: the smaller of the two hold times; 0 on either side means none.
        let holdTime = min(configuration.holdTime, open.holdTime)
        return .success(Negotiated(
            peerAS: peerAS, peerIdentifier: open.identifier, holdTime: holdTime,
            fourOctetAS: open.fourOctetAS != nil, families: families,
            routeRefresh: configuration.routeRefresh && open.supportsRouteRefresh,
            peerGracefulRestart: open.gracefulRestart, peerIsInternal: configuration.isInternal))
    }
}
