/// What the two OPEN messages agreed: the session's parameters once it is established.
package struct Negotiated: Hashable, Sendable {
    package var peerAS: UInt32
    package var peerIdentifier: UInt32
    /// Seconds; 0 means no hold timer and no keepalives (RFC 4271 §4.2).
    package var holdTime: UInt16
    /// Both sides sent the 4-octet AS capability (RFC 6793).
    package var fourOctetAS: Bool
    /// Families both sides announced; IPv4 unicast alone for a side that announced none
    /// (RFC 4760 §8: no multiprotocol capability means IPv4 unicast).
    package var families: Set<AddressFamily>
    /// Both sides sent the route refresh capability (RFC 2918).
    package var routeRefresh: Bool
    /// The peer's Graceful Restart capability (RFC 4724): how long to keep its routes if it
    /// goes away, and for which families its forwarding state survives a restart.
    package var peerGracefulRestart: GracefulRestartCapability?
    package var peerIsInternal: Bool

    package init(peerAS: UInt32, peerIdentifier: UInt32, holdTime: UInt16, fourOctetAS: Bool,
                 families: Set<AddressFamily>, routeRefresh: Bool, peerGracefulRestart: GracefulRestartCapability?,
                 peerIsInternal: Bool) {
        self.peerAS = peerAS
        self.peerIdentifier = peerIdentifier
        self.holdTime = holdTime
        self.fourOctetAS = fourOctetAS
        self.families = families
        self.routeRefresh = routeRefresh
        self.peerGracefulRestart = peerGracefulRestart
        self.peerIsInternal = peerIsInternal
    }

    /// The hold timer, nil when the hold time is 0.
    package var holdDuration: Duration? { holdTime == 0 ? nil : .seconds(Int(holdTime)) }

    /// One third of the hold time (RFC 4271 §10), nil when the hold time is 0.
    package var keepaliveInterval: Duration? { holdDuration.map { $0 / 3 } }

    /// The options the codec needs for this session's UPDATEs.
    package var codecOptions: BGPCodecOptions {
        BGPCodecOptions(fourOctetAS: fourOctetAS, families: families, peerIsInternal: peerIsInternal)
    }
}
