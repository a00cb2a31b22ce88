/// Which addresses a traceroute may go to: an account's own, so that Moat can never be used to
/// probe the rest of the Internet. Core checks it against the account's objects; edges check it
/// again against their config before sending a single probe.
public struct TracerouteTargetPolicy: Sendable {
    /// Approved prefixes: addresses inside them are the account's.
    public var prefixes: [CIDR]
    /// Customer endpoints of tunnels: the account's routers.
    public var tunnelEndpoints: Set<IPAddress>

    public init(prefixes: [CIDR], tunnelEndpoints: Set<IPAddress>) {
        self.prefixes = prefixes
        self.tunnelEndpoints = tunnelEndpoints
    }

    /// From an account's prefixes (only approved ones count) and tunnels.
    public init(prefixes: [Prefix], tunnels: [Tunnel]) {
        self.init(prefixes: prefixes.filter { $0.status == .approved }.map(\.cidr), tunnelEndpoints: Set(tunnels.map(\.customerEndpoint)))
    }

    /// From what an edge's config says (every account's approved prefixes and tunnels).
    public init(config: EdgeConfig) {
        self.init(prefixes: config.prefixes, tunnels: config.tunnels)
    }

    public func allows(_ address: IPAddress) -> Bool {
        tunnelEndpoints.contains(address) || prefixes.contains { $0.contains(address) }
    }

    /// Whether `address` may be traced with `packetType`: a `gre` trace goes only to a tunnel's
    /// customer endpoint, through that tunnel.
    public func allows(_ address: IPAddress, packetType: TracerouteOptions.PacketType) -> Bool {
        packetType == .gre ? tunnelEndpoints.contains(address) : allows(address)
    }
}
