/// One peer's session settings: who we are, who the peer must be, and the timers.
package struct SessionConfiguration: Hashable, Sendable {
    package var localAS: UInt32
    package var peerAS: UInt32
    /// Our BGP identifier (RFC 6286), usually an IPv4 address of the speaker as a number.
    package var identifier: UInt32
    /// Seconds proposed in our OPEN: 0 (no keepalives, no hold timer) or at least 3.
    package var holdTime: UInt16
    /// RFC 4271 §10 suggests 120 s.
    package var connectRetryTime: Duration
    /// The hold timer while waiting for the peer's OPEN (RFC 4271 §8.2.2 suggests 4 minutes).
    package var openHoldTime: Duration
    /// The first wait before restarting after an error (RFC 4271 §8.1.1 IdleHoldTimer);
    /// doubles with each failure in a row up to `maximumIdleHoldTime`, so a peer that keeps
    /// failing is not hammered (RFC 4271 "DampPeerOscillations").
    package var idleHoldTime: Duration
    package var maximumIdleHoldTime: Duration
    /// Never connect: wait for the peer to connect (RFC 4271 PassiveTcpEstablishment).
    package var passive: Bool
    /// Families announced in multiprotocol capabilities (RFC 4760).
    package var families: [AddressFamily]
    package var routeRefresh: Bool
    /// Our Graceful Restart capability (RFC 4724), if we offer one.
    package var gracefulRestart: GracefulRestartCapability?

    package init(localAS: UInt32, peerAS: UInt32, identifier: UInt32, holdTime: UInt16 = 90,
                 connectRetryTime: Duration = .seconds(120), openHoldTime: Duration = .seconds(240),
                 idleHoldTime: Duration = .seconds(5), maximumIdleHoldTime: Duration = .seconds(120),
                 passive: Bool = false, families: [AddressFamily] = [.ipv4Unicast, .ipv6Unicast],
                 routeRefresh: Bool = true, gracefulRestart: GracefulRestartCapability? = nil) {
        self.localAS = localAS
        self.peerAS = peerAS
        self.identifier = identifier
        self.holdTime = holdTime
        self.connectRetryTime = connectRetryTime
        self.openHoldTime = openHoldTime
        self.idleHoldTime = idleHoldTime
        self.maximumIdleHoldTime = maximumIdleHoldTime
        self.passive = passive
        self.families = families
        self.routeRefresh = routeRefresh
        self.gracefulRestart = gracefulRestart
    }

    /// The peer is in our AS (iBGP).
    package var isInternal: Bool { localAS == peerAS }

    /// The OPEN we send: version 4, AS_TRANS for a 4-octet AS, and our capabilities.
    package var openMessage: OpenMessage {
        var capabilities = families.map(Capability.multiprotocol)
        if routeRefresh { capabilities.append(.routeRefresh) }
        if let gracefulRestart { capabilities.append(.gracefulRestart(gracefulRestart)) }
        capabilities.append(.fourOctetAS(localAS))
        return OpenMessage(autonomousSystem: localAS, holdTime: holdTime, identifier: identifier, capabilities: capabilities)
    }
}
