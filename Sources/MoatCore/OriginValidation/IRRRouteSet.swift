import MoatModel

/// The operator's IRR route objects, indexed by prefix.
///
/// A route is valid only when a route object for exactly its prefix names its origin. Upstreams
/// build their prefix filters from route objects (bgpq4 and IRRd answer the registered prefixes,
/// more specifics only when asked), so a covering object does not get a more specific through;
/// covering objects appear in the reason to say what is missing.
package struct IRRRouteSet: Sendable {
    var index: PrefixIndex<IRRRoute>

    package init(_ routes: some Sequence<IRRRoute>) {
        index = PrefixIndex(routes, prefix: \.prefix)
    }

    package var count: Int { index.count }
    package var ipv4Count: Int { index.ipv4Count }
    package var ipv6Count: Int { index.ipv6Count }
    package var routes: [IRRRoute] { index.all }

    /// Whether each AS in `origins` has a route object for exactly `prefix`. With no route object
    /// for it, or no origin known, the route is invalid: upstreams filtering on IRR would drop it.
    package func validate(_ prefix: CIDR, origins: Set<UInt32>) -> OriginVerdict {
        let exact = index.exact(prefix)
        guard !origins.isEmpty else {
            guard !exact.isEmpty else { return .invalid("IRR invalid: \(missing(prefix, origin: nil))") }
            return .invalid("IRR invalid: no origin AS is known for \(prefix); \(Self.list(exact)) registered")
        }
        let verdicts = origins.sorted().map { origin -> OriginVerdict in
            if let match = exact.first(where: { $0.origin == origin }) {
                return .valid("IRR valid: \(match)")
            }
            guard !exact.isEmpty else { return .invalid("IRR invalid: \(missing(prefix, origin: origin))") }
            let found = Set(exact.map(\.origin)).sorted().map(ASNumber.text).joined(separator: ", ")
            return .invalid("IRR invalid: the route objects for \(prefix) have origin \(found), not \(ASNumber.text(origin))")
        }
        return OriginVerdict.worst(verdicts) ?? .invalid("IRR invalid: \(missing(prefix, origin: nil))")
    }

    /// Why a prefix without a route object of its own fails, naming the covering objects.
    func missing(_ prefix: CIDR, origin: UInt32?) -> String {
        let covering = index.covering(prefix)
        guard !covering.isEmpty else { return "no route object for \(prefix) or any prefix covering it" }
        if let origin, let same = covering.first(where: { $0.origin == origin }) {
            return "no route object for \(prefix) itself; \(same) covers it, but upstream IRR filters accept only registered prefixes"
        }
        return "no route object for \(prefix) itself; covering: \(Self.list(covering))"
    }

    static func list(_ routes: [IRRRoute], limit: Int = 3) -> String {
        var parts = routes.prefix(limit).map(\.description)
        if routes.count > limit { parts.append("\(routes.count - limit) more") }
        return parts.joined(separator: ", ")
    }
}
