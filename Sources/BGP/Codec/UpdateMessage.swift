import MoatModel

/// UPDATE (RFC 4271 §4.3): IPv4 withdrawn routes, path attributes, IPv4 NLRI. Other
/// families travel in the MP_REACH_NLRI / MP_UNREACH_NLRI attributes (RFC 4760).
package struct UpdateMessage: Hashable, Sendable {
    package var withdrawn: [CIDR]
    /// In the order received (or to be sent).
    package var attributes: [PathAttribute]
    package var nlri: [CIDR]
    /// Errors found while decoding that RFC 7606 answers without closing the session
    /// (`.treatAsWithdraw`, `.attributeDiscard`). Empty for a clean UPDATE and for one built
    /// to be sent.
    package var errors: [BGPDecodeError]

    package init(withdrawn: [CIDR] = [], attributes: [PathAttribute] = [], nlri: [CIDR] = [], errors: [BGPDecodeError] = []) {
        self.withdrawn = withdrawn
        self.attributes = attributes
        self.nlri = nlri
        self.errors = errors
    }

    /// The End-of-RIB marker of a family (RFC 4724 §2): an empty UPDATE for IPv4 unicast, an
    /// UPDATE with only an empty MP_UNREACH_NLRI for the others.
    package static func endOfRIB(_ family: AddressFamily) -> UpdateMessage {
        family == .ipv4Unicast
            ? UpdateMessage()
            : UpdateMessage(attributes: [.mpUnreachNLRI(MultiprotocolUnreach(family: family, withdrawn: []))])
    }

    /// The family this UPDATE marks the End-of-RIB of, if it is such a marker.
    package var endOfRIB: AddressFamily? {
        guard withdrawn.isEmpty, nlri.isEmpty, errors.isEmpty else { return nil }
        if attributes.isEmpty { return .ipv4Unicast }
        if attributes.count == 1, case .mpUnreachNLRI(let unreach) = attributes[0], unreach.withdrawn.isEmpty {
            return unreach.family
        }
        return nil
    }

    /// True when an error requires every route this UPDATE announces to be withdrawn
    /// instead (RFC 7606 §2).
    package var isTreatAsWithdraw: Bool {
        errors.contains { $0.action == .treatAsWithdraw }
    }

    /// Routes announced, in the NLRI field and in MP_REACH_NLRI; none when the UPDATE is
    /// treated as a withdraw.
    package var announced: [CIDR] {
        isTreatAsWithdraw ? [] : nlri + (mpReach?.nlri ?? [])
    }

    /// Routes to withdraw: the withdrawn routes, MP_UNREACH_NLRI, and, when the UPDATE is
    /// treated as a withdraw, everything it announced.
    package var allWithdrawn: [CIDR] {
        var routes = withdrawn + (mpUnreach?.withdrawn ?? [])
        if isTreatAsWithdraw { routes += nlri + (mpReach?.nlri ?? []) }
        return routes
    }
}

extension UpdateMessage {
    package var origin: Origin? {
        for case .origin(let value) in attributes { return value }
        return nil
    }

    package var asPath: ASPath? {
        for case .asPath(let value) in attributes { return value }
        return nil
    }

    package var as4Path: ASPath? {
        for case .as4Path(let value) in attributes { return value }
        return nil
    }

    /// The AS path to use for route selection: AS_PATH merged with AS4_PATH from a 2-octet
    /// peer (RFC 6793 §4.2.3). The decoder keeps AS4_PATH only on 2-octet sessions.
    package var effectiveASPath: ASPath? {
        guard let path = asPath else { return nil }
        return as4Path.map { path.merging(as4Path: $0) } ?? path
    }

    package var nextHop: IPAddress? {
        for case .nextHop(let value) in attributes { return value }
        return nil
    }

    package var multiExitDiscriminator: UInt32? {
        for case .multiExitDiscriminator(let value) in attributes { return value }
        return nil
    }

    package var localPreference: UInt32? {
        for case .localPreference(let value) in attributes { return value }
        return nil
    }

    package var communities: [Community] {
        for case .communities(let value) in attributes { return value }
        return []
    }

    package var largeCommunities: [LargeCommunity] {
        for case .largeCommunities(let value) in attributes { return value }
        return []
    }

    package var mpReach: MultiprotocolReach? {
        for case .mpReachNLRI(let value) in attributes { return value }
        return nil
    }

    package var mpUnreach: MultiprotocolUnreach? {
        for case .mpUnreachNLRI(let value) in attributes { return value }
        return nil
    }
}
