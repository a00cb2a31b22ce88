import MoatModel

/// The routes one peer sent us (Adj-RIB-In), kept for AS-number lookups: which AS originates
/// the longest prefix that covers an address. Pure.
///
/// At most `limit` routes are kept; beyond that new prefixes are dropped and counted while the
/// session stays up. Tearing the session down (RFC 4486 Cease 1), as some routers do, would
/// also withdraw everything this edge announces to that upstream: a full table sent by mistake
/// must not take a location off the Internet.
package struct ReceivedRoutes: Sendable {
    package struct Route: Hashable, Sendable {
        package var asPath: ASPath
        package var nextHop: IPAddress?

        /// The last AS of the path's last segment: the AS that originated the route.
        package var originAS: UInt32? { asPath.segments.last?.asns.last }
    }

    package let limit: Int
    private var byLength: [Int: [IPAddress: Route]] = [:]
    package private(set) var count = 0
    /// Announcements dropped because the table was full, since the session came up.
    package private(set) var dropped = 0

    package init(limit: Int) {
        self.limit = limit
    }

    /// Applies an UPDATE: withdrawals first, then announcements (RFC 4271 §9).
    package mutating func apply(_ update: UpdateMessage) {
        for prefix in update.allWithdrawn { remove(prefix) }
        let announced = update.announced
        guard !announced.isEmpty else { return }
        let route = Route(asPath: update.effectiveASPath ?? ASPath(), nextHop: update.nextHop ?? update.mpReach?.nextHop)
        for prefix in announced { insert(prefix, route) }
    }

    package func route(for prefix: CIDR) -> Route? { byLength[prefix.length]?[prefix.address] }

    /// The route of the longest prefix that contains `address`.
    package func longestMatch(_ address: IPAddress) -> (prefix: CIDR, route: Route)? {
        for length in byLength.keys.sorted(by: >) where length <= address.bitWidth {
            let network = CIDR.mask(address, length)
            if let route = byLength[length]?[network], let prefix = try? CIDR(address: network, length: length) {
                return (prefix, route)
            }
        }
        return nil
    }

    /// The session went down: its routes are gone (RFC 4271 §8.2.2).
    package mutating func clear() {
        byLength = [:]
        count = 0
        dropped = 0
    }

    private mutating func insert(_ prefix: CIDR, _ route: Route) {
        if byLength[prefix.length]?[prefix.address] == nil {
            guard count < limit else {
                dropped += 1
                return
            }
            count += 1
        }
        byLength[prefix.length, default: [:]][prefix.address] = route
    }

    private mutating func remove(_ prefix: CIDR) {
        if byLength[prefix.length]?.removeValue(forKey: prefix.address) != nil { count -= 1 }
    }
}
