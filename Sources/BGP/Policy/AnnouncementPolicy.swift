import MoatModel

/// Decides what one edge announces to each of its BGP peers (DESIGN.md "BGP"). Pure.
///
/// An edge announces an approved prefix that the account wants advertised only while it can
/// deliver it: its config is fresh, the config (and with it the firewall) is in force, and at
/// least one route into the prefix has a tunnel that is not down, or the edge's proxy serves a
/// Spectrum app of the account on an address inside the prefix. Otherwise it withdraws the
/// prefix, and the routers send its traffic to the locations that can deliver it.
package enum AnnouncementPolicy {
    package enum Drain: String, Sendable {
        /// Announcing normally.
        case none
        /// Announcing with GRACEFUL_SHUTDOWN (RFC 8326) so routers move traffic away first.
        case signalling
        /// Withdrawn: the edge is out of service until undrained.
        case withdrawn
    }

    package struct Inputs: Sendable {
        package var config: EdgeConfig
        package var edgeID: String
        /// Each tunnel's state as this edge's probes see it; nil when the GRE data path is not
        /// running (then no tunnel delivers anything).
        package var tunnelStates: [String: TunnelState]?
        /// The edge heard from core recently enough to trust its config.
        package var configFresh: Bool
        /// The config is in force: every part, firewall included, applied it.
        package var configApplied: Bool
        package var drain: Drain
        /// The Spectrum apps this edge's proxy serves: an app on an address inside a prefix of
        /// its account makes the edge able to deliver that prefix's traffic for it.
        package var servedApps: [SpectrumApp] = []

        package init(config: EdgeConfig, edgeID: String, tunnelStates: [String: TunnelState]?, configFresh: Bool,
                     configApplied: Bool = true, drain: Drain = .none) {
            self.config = config
            self.edgeID = edgeID
            self.tunnelStates = tunnelStates
            self.configFresh = configFresh
            self.configApplied = configApplied
            self.drain = drain
        }
    }

    package struct Decision: Equatable, Sendable {
        /// Peer name → what to announce to it.
        package var announcements: [String: Announcement]
        /// Wanted prefixes this edge does not announce, and why.
        package var withheld: [CIDR: String]
        /// Peer name → the problem with spreading prefixes under its router limit.
        package var errors: [String: String]

        package static let nothing = Decision(announcements: [:], withheld: [:], errors: [:])
    }

    package static func decide(_ inputs: Inputs) -> Decision {
        let config = inputs.config
        let wanted = config.prefixes.filter { $0.status == .approved && $0.advertised }
        var withheld: [CIDR: String] = [:]
        var deliverable: [Prefix] = []
        for prefix in wanted {
            if let reason = whyNot(prefix, inputs) { withheld[prefix.cidr] = reason } else { deliverable.append(prefix) }
        }
        var announcements: [String: Announcement] = [:]
        var errors: [String: String] = [:]
        for peer in config.bgpPeers where peer.applies(to: inputs.edgeID) {
            var chosen = deliverable
            if let limit = peer.prefixLimit {
                let (assigned, error) = assignment(wanted.map(\.cidr), servers: config.edges, edgeID: inputs.edgeID, limit: limit)
                if let error { errors[peer.name] = error }
                chosen = deliverable.filter { assigned.contains($0.cidr) }
            }
            var communities = peer.communities.compactMap(BGPCommunityText.standard).map(Community.init(rawValue:))
            if inputs.drain == .signalling { communities.append(.gracefulShutdown) }
            let large = peer.largeCommunities.compactMap(BGPCommunityText.large).map { LargeCommunity($0.0, $0.1, $0.2) }
            let prefixes = inputs.drain == .withdrawn ? [] : chosen.map(\.cidr)
            var origins: [CIDR: UInt32] = [:]
            for prefix in chosen { if let origin = prefix.originASN, origin != peer.localASN { origins[prefix.cidr] = origin } }
            announcements[peer.name] = Announcement(prefixes: prefixes, origins: origins, nextHopV4: peer.nextHopIPv4, nextHopV6: peer.nextHopIPv6,
                                                    communities: communities, largeCommunities: large)
        }
        if inputs.drain == .withdrawn {
            for prefix in deliverable { withheld[prefix.cidr] = "the edge is drained (moat edge undrain to announce again)" }
        }
        return Decision(announcements: announcements, withheld: withheld, errors: errors)
    }

    /// Why this edge cannot deliver `prefix`, or nil when it can.
    static func whyNot(_ prefix: Prefix, _ inputs: Inputs) -> String? {
        guard inputs.configFresh else { return "the config is stale: no contact with core for too long" }
        guard inputs.configApplied else { return "the latest config did not apply" }
        let proxied = inputs.servedApps.contains { app in
            app.accountID == prefix.accountID && app.edgeAddress.map { prefix.cidr.contains($0) } == true
        }
        if proxied { return nil }
        let routes = inputs.config.routes.filter { $0.accountID == prefix.accountID && $0.prefix.overlaps(prefix.cidr) }
        guard !routes.isEmpty else { return "no route into the prefix serves this location" }
        guard let states = inputs.tunnelStates else { return "the GRE data path is not running" }
        let running = routes.compactMap { states[$0.tunnelID] }
        guard !running.isEmpty else { return "no tunnel of its routes runs on this edge (its Moat endpoint is not an address here)" }
        guard running.contains(where: { $0 != .down }) else { return "every tunnel of its routes is down" }
        return nil
    }

    /// The prefixes this edge announces to a router that takes at most `limit` from each server.
    /// When the spread cannot be done (too few servers or too small a limit), each edge falls
    /// back to one copy per prefix, and when even that does not fit, to its first `limit`.
    static func assignment(_ prefixes: [CIDR], servers: [String], edgeID: String, limit: Int) -> (Set<CIDR>, String?) {
        let names = Dictionary(prefixes.map { ($0.description, $0) }, uniquingKeysWith: { first, _ in first })
        let everyone = servers.contains(edgeID) ? servers : servers + [edgeID]
        var problem: String?
        for copies in [min(2, everyone.count), 1] {
            do {
                let spread = try PrefixAssignment(prefixes: Array(names.keys), servers: everyone, limit: limit, copies: copies)
                let mine = Set((spread.byServer[edgeID] ?? []).compactMap { names[$0] })
                return (mine, problem)
            } catch {
                problem = problem ?? "prefix limit \(limit): \(error)"
            }
        }
        return (Set(prefixes.sorted().prefix(limit)), problem)
    }
}
