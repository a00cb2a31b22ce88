import MoatModel

/// What an edge announces to one upstream: prefixes with our AS as the path (followed by the
/// customer's origin AS where the prefix has one), our address as the next hop and the
/// configured communities. Pure: it turns into UPDATE messages.
package struct Announcement: Hashable, Sendable {
    package var prefixes: [CIDR]
    /// The AS that originates a prefix behind ours (bring-your-own-ASN); absent means our AS
    /// originates it.
    package var origins: [CIDR: UInt32]
    /// Nil: the local address of the session, when it is of the family.
    package var nextHopV4: IPAddress?
    package var nextHopV6: IPAddress?
    package var communities: [Community]
    package var largeCommunities: [LargeCommunity]
    package var med: UInt32?

    package init(prefixes: [CIDR], origins: [CIDR: UInt32] = [:], nextHopV4: IPAddress? = nil, nextHopV6: IPAddress? = nil,
                 communities: [Community] = [], largeCommunities: [LargeCommunity] = [], med: UInt32? = nil) {
        self.prefixes = prefixes
        self.origins = origins
        self.nextHopV4 = nextHopV4
        self.nextHopV6 = nextHopV6
        self.communities = communities
        self.largeCommunities = largeCommunities
        self.med = med
    }

    /// The UPDATEs that announce these prefixes to a peer of the negotiated session, each under
    /// the message size limit, then End-of-RIB per family (RFC 4724). Internal peers (iBGP)
    /// get no AS of ours in the path and a LOCAL_PREF (RFC 4271 §5.1.2, §5.1.5).
    package func updates(localAS: UInt32, isInternal: Bool = false, families: Set<AddressFamily>,
                         sessionAddress: IPAddress? = nil, only: Set<CIDR>? = nil, chunk: Int = 500) -> [UpdateMessage] {
        var messages: [UpdateMessage] = []
        let selected = only.map { wanted in prefixes.filter { wanted.contains($0) } } ?? prefixes
        // Prefixes with the same origin share one attribute set and so one run of UPDATEs.
        let byOrigin = Dictionary(grouping: selected) { origins[$0] }
        let v4Hop = nextHopV4 ?? sessionAddress.flatMap { $0.isIPv4 ? $0 : nil }
        let v6Hop = nextHopV6 ?? sessionAddress.flatMap { $0.isIPv4 ? nil : $0 }
        for origin in byOrigin.keys.sorted(by: { ($0 ?? 0) < ($1 ?? 0) }) {
            let group = byOrigin[origin] ?? []
            let path = (isInternal ? [] : [localAS]) + (origin.map { [$0] } ?? [])
            var common: [PathAttribute] = [.origin(.igp), .asPath(.sequence(path))]
            if let med { common.append(.multiExitDiscriminator(med)) }
            if isInternal { common.append(.localPreference(100)) }
            if !communities.isEmpty { common.append(.communities(communities)) }
            if !largeCommunities.isEmpty { common.append(.largeCommunities(largeCommunities)) }
            let v4 = group.filter(\.isIPv4).sorted()
            let v6 = group.filter { !$0.isIPv4 }.sorted()
            if families.contains(.ipv4Unicast), let v4Hop {
                for start in stride(from: 0, to: v4.count, by: chunk) {
                    messages.append(UpdateMessage(attributes: common + [.nextHop(v4Hop)], nlri: Array(v4[start..<min(start + chunk, v4.count)])))
                }
            }
            if families.contains(.ipv6Unicast), let v6Hop {
                for start in stride(from: 0, to: v6.count, by: chunk) {
                    let reach = MultiprotocolReach(family: .ipv6Unicast, nextHop: v6Hop, nlri: Array(v6[start..<min(start + chunk, v6.count)]))
                    messages.append(UpdateMessage(attributes: [.mpReachNLRI(reach)] + common))
                }
            }
        }
        return messages
    }

    /// The prefixes a session of these families can carry: those whose family it negotiated
    /// and has a next hop for.
    package func deliverable(families: Set<AddressFamily>, sessionAddress: IPAddress?) -> Set<CIDR> {
        let v4 = families.contains(.ipv4Unicast) && (nextHopV4 ?? sessionAddress.flatMap { $0.isIPv4 ? $0 : nil }) != nil
        let v6 = families.contains(.ipv6Unicast) && (nextHopV6 ?? sessionAddress.flatMap { $0.isIPv4 ? nil : $0 }) != nil
        return Set(prefixes.filter { $0.isIPv4 ? v4 : v6 })
    }

    /// Attributes other than the prefix list changed: every route must be sent again.
    package func sameAttributes(as other: Announcement) -> Bool {
        nextHopV4 == other.nextHopV4 && nextHopV6 == other.nextHopV6 && communities == other.communities
            && largeCommunities == other.largeCommunities && med == other.med
    }
}
