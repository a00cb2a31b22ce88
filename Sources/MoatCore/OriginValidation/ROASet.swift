import MoatModel

/// The operator's ROA data, indexed for route origin validation.
package struct ROASet: Sendable {
    var index: PrefixIndex<ROA>

    package init(_ roas: some Sequence<ROA>) {
        index = PrefixIndex(roas, prefix: \.prefix)
    }

    package var count: Int { index.count }
    package var ipv4Count: Int { index.ipv4Count }
    package var ipv6Count: Int { index.ipv6Count }
    package var roas: [ROA] { index.all }

    /// The ROAs whose prefix contains `prefix` (RFC 6811 §2 "covering"), most specific first.
    package func covering(_ prefix: CIDR) -> [ROA] { index.covering(prefix) }

    /// RFC 6811 §2 route origin validation of `prefix` as announced by each AS in `origins`.
    ///
    /// A ROA covers the route when its prefix contains the route's; the route is valid when a
    /// covering ROA names its origin AS and the route is no longer than the ROA's max length,
    /// invalid when ROAs cover it but none matches, not found when none covers it. AS0 ROAs
    /// (RFC 6483 §4, RFC 7607) never match. With no origin known, a covered route is invalid:
    /// nothing can be shown to be authorised.
    package func validate(_ prefix: CIDR, origins: Set<UInt32>) -> OriginVerdict {
        let found = covering(prefix)
        guard !found.isEmpty else { return .notFound("RPKI not found: no ROA covers \(prefix)") }
        guard !origins.isEmpty else {
            let authorised = found.filter { $0.asn != 0 }
            let named = authorised.isEmpty ? Self.describeAS0(found[0], prefix) : Self.describe(authorised, limit: 3)
            return .invalid("RPKI invalid: no origin AS is known for \(prefix); \(named)")
        }
        return OriginVerdict.worst(origins.sorted().map { Self.validate(prefix, origin: $0, covering: found) })
            ?? .notFound("RPKI not found: no ROA covers \(prefix)")
    }

    static func validate(_ prefix: CIDR, origin: UInt32, covering: [ROA]) -> OriginVerdict {
        let sameAS = covering.filter { $0.asn == origin && $0.asn != 0 }
        if let match = sameAS.first(where: { prefix.length <= $0.maxLength }) {
            return .valid("RPKI valid: ROA \(match.prefix) max /\(match.maxLength) authorises \(ASNumber.text(origin))")
        }
        if let roa = sameAS.first {
            return .invalid("RPKI invalid: ROA \(roa.prefix) max /\(roa.maxLength) authorises \(ASNumber.text(origin)), "
                + "but /\(prefix.length) is longer than the ROA's max length /\(roa.maxLength)")
        }
        let authorised = covering.filter { $0.asn != 0 }
        guard let first = authorised.first else {
            return .invalid("RPKI invalid: \(describeAS0(covering[0], prefix))")
        }
        var reason = "RPKI invalid: ROA \(first.prefix) max /\(first.maxLength) authorises \(ASNumber.text(first.asn)), not \(ASNumber.text(origin))"
        if authorised.count > 1 {
            reason += " (\(authorised.count - 1) more covering ROA\(authorised.count == 2 ? "" : "s"), none for \(ASNumber.text(origin)))"
        }
        return .invalid(reason)
    }

    static func describe(_ roas: [ROA], limit: Int) -> String {
        var parts = roas.prefix(limit).map { "ROA \($0.prefix) max /\($0.maxLength) authorises \(ASNumber.text($0.asn))" }
        if roas.count > limit { parts.append("\(roas.count - limit) more") }
        return parts.joined(separator: ", ")
    }

    static func describeAS0(_ roa: ROA, _ prefix: CIDR) -> String {
        "ROA \(roa.prefix) max /\(roa.maxLength) AS0 says no AS may originate \(prefix) (RFC 6483)"
    }
}
