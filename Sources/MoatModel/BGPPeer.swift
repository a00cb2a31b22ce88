import Foundation

/// An upstream router that the edges of a location (or one edge) hold a BGP session with:
/// operator configuration, delivered to the edges in their config.
public struct BGPPeer: Codable, Equatable, Sendable {
    public var id: String
    public var location: String
    /// Only this edge peers with the router; nil: every edge of the location does.
    public var edge: String?
    public var name: String
    public var peerAddress: IPAddress
    public var peerASN: UInt32
    public var localASN: UInt32
    /// The address the edge's side of the session uses; nil: the kernel picks it.
    public var localAddress: IPAddress?
    /// The TCP MD5 key (RFC 2385). Never shown by the API: `md5KeySet` says whether there is one.
    public var md5Key: String?
    public var md5KeySet: Bool
    public var holdTime: Int
    /// Wait for the router to connect instead of connecting.
    public var passive: Bool
    /// Offer graceful restart (RFC 4724): a restarting edge keeps its routes at this router
    /// for `restartTime` seconds.
    public var gracefulRestart: Bool
    public var restartTime: Int
    /// Attached to every route announced to this router: `65000:100`, and `65000:1:2`.
    public var communities: [String]
    public var largeCommunities: [String]
    /// Next hops of announced routes; nil: the session's own address for its family.
    public var nextHopIPv4: IPAddress?
    public var nextHopIPv6: IPAddress?
    /// The most prefixes this router accepts from each server. The location's prefixes are
    /// then spread over its edges so that each is announced by at least two of them.
    public var prefixLimit: Int?
    /// The most routes kept from this router; more are dropped and counted.
    public var receiveLimit: Int
    public var createdAt: Date
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, location, edge, name, passive, communities
        case peerAddress = "peer_address"
        case peerASN = "peer_asn"
        case localASN = "local_asn"
        case localAddress = "local_address"
        case md5Key = "md5_key"
        case md5KeySet = "md5_key_set"
        case holdTime = "hold_time"
        case gracefulRestart = "graceful_restart"
        case restartTime = "restart_time"
        case largeCommunities = "large_communities"
        case nextHopIPv4 = "next_hop_ipv4"
        case nextHopIPv6 = "next_hop_ipv6"
        case prefixLimit = "prefix_limit"
        case receiveLimit = "receive_limit"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(id: String = Identifier.make("bgp"), location: String, spec: BGPPeerSpec, at date: Date) {
        self.id = id
        self.location = location
        self.edge = spec.edge
        self.name = spec.name
        self.peerAddress = spec.peerAddress
        self.peerASN = spec.peerASN
        self.localASN = spec.localASN
        self.localAddress = spec.localAddress
        self.md5Key = spec.md5Key
        self.md5KeySet = spec.md5Key != nil
        self.holdTime = spec.holdTime
        self.passive = spec.passive
        self.gracefulRestart = spec.gracefulRestart
        self.restartTime = spec.restartTime
        self.communities = spec.communities
        self.largeCommunities = spec.largeCommunities
        self.nextHopIPv4 = spec.nextHopIPv4
        self.nextHopIPv6 = spec.nextHopIPv6
        self.prefixLimit = spec.prefixLimit
        self.receiveLimit = spec.receiveLimit
        self.createdAt = date
        self.updatedAt = date
    }

    public var spec: BGPPeerSpec {
        BGPPeerSpec(name: name, edge: edge, peerAddress: peerAddress, peerASN: peerASN, localASN: localASN, localAddress: localAddress,
                    md5Key: md5Key, holdTime: holdTime, passive: passive, gracefulRestart: gracefulRestart, restartTime: restartTime,
                    communities: communities, largeCommunities: largeCommunities, nextHopIPv4: nextHopIPv4, nextHopIPv6: nextHopIPv6,
                    prefixLimit: prefixLimit, receiveLimit: receiveLimit)
    }

    /// What the API shows: everything but the key.
    public var redacted: BGPPeer {
        var copy = self
        copy.md5Key = nil
        return copy
    }

    /// Whether `edge` of this peer's location holds this session.
    public func applies(to edgeID: String) -> Bool { edge == nil || edge == edgeID }
}
