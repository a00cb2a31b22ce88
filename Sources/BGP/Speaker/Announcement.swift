import MoatModel

/// What an edge announces to one upstream: prefixes with our AS as the path, our address as
/// the next hop and the configured communities. Pure: it turns into UPDATE messages.
package struct Announcement: Hashable, Sendable {
    package var prefixes: [CIDR]
    package var nextHopV4: IPAddress?
    package var nextHopV6: IPAddress?
    package var communities: [Community]
    package var largeCommunities: [LargeCommunity]

    package init(prefixes: [CIDR], nextHopV4: IPAddress?, nextHopV6: IPAddress? = nil, communities: [Community] = [],
                 largeCommunities: [LargeCommunity] = []) {
        self.prefixes = prefixes
        self.nextHopV4 = nextHopV4
        self.nextHopV6 = nextHopV6
        self.communities = communities
        self.largeCommunities = largeCommunities
    }

    /// The UPDATEs that announce these prefixes to a peer of the negotiated session, each under
    /// the message size limit, then End-of-RIB per family (RFC 4724).
    package func updates(localAS: UInt32, families: Set<AddressFamily>, chunk: Int = 500) -> [UpdateMessage] {
        var messages: [UpdateMessage] = []
        var common: [PathAttribute] = [.origin(.igp), .asPath(.sequence([localAS]))]
        if !communities.isEmpty { common.append(.communities(communities)) }
        if !largeCommunities.isEmpty { common.append(.largeCommunities(largeCommunities)) }
        let v4 = prefixes.filter(\.isIPv4).sorted()
        let v6 = prefixes.filter { !$0.isIPv4 }.sorted()
        if families.contains(.ipv4Unicast), let nextHopV4 {
            for start in stride(from: 0, to: v4.count, by: chunk) {
                messages.append(UpdateMessage(attributes: common + [.nextHop(nextHopV4)], nlri: Array(v4[start..<min(start + chunk, v4.count)])))
            }
            messages.append(.endOfRIB(.ipv4Unicast))
        }
        if families.contains(.ipv6Unicast), let nextHopV6 {
            for start in stride(from: 0, to: v6.count, by: chunk) {
                let reach = MultiprotocolReach(family: .ipv6Unicast, nextHop: nextHopV6, nlri: Array(v6[start..<min(start + chunk, v6.count)]))
                messages.append(UpdateMessage(attributes: [.mpReachNLRI(reach)] + common))
            }
            messages.append(.endOfRIB(.ipv6Unicast))
        }
        return messages
    }
}
