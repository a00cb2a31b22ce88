import MoatModel

/// What the ROA or IRR data says about a route, with a reason that names the data it used.
package enum OriginVerdict: Equatable, Sendable {
    /// The data authorises the origin.
    case valid(String)
    /// The data covers the prefix but does not authorise the origin.
    case invalid(String)
    /// Nothing in the data covers the prefix (RFC 6811 "NotFound").
    case notFound(String)

    package var reason: String {
        switch self {
        case .valid(let reason), .invalid(let reason), .notFound(let reason): return reason
        }
    }

    package var isInvalid: Bool { if case .invalid = self { return true } else { return false } }

    /// Every origin in a set will announce the route, so the set is as good as its worst member.
    static func worst(_ verdicts: [OriginVerdict]) -> OriginVerdict? {
        let invalid = verdicts.filter(\.isInvalid)
        if !invalid.isEmpty { return .invalid(invalid.map(\.reason).joined(separator: "; ")) }
        let notFound = verdicts.filter { if case .notFound = $0 { return true } else { return false } }
        if let first = notFound.first { return first }
        return verdicts.isEmpty ? nil : .valid(verdicts.map(\.reason).joined(separator: "; "))
    }
}
