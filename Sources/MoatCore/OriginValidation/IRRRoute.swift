import MoatModel

/// An RPSL `route:` or `route6:` object (RFC 2622 §4.5, RFC 4012 §2): the registry says `origin`
/// announces `prefix`.
package struct IRRRoute: Hashable, Sendable, CustomStringConvertible {
    package var prefix: CIDR
    package var origin: UInt32
    /// The registry the object came from (`source:`, e.g. RIPE), when the data names it.
    package var source: String?

    package init(prefix: CIDR, origin: UInt32, source: String? = nil) {
        self.prefix = prefix
        self.origin = origin
        self.source = source
    }

    /// `route 203.0.113.0/24 origin AS64500 (RIPE)`.
    package var description: String {
        let kind = prefix.isIPv4 ? "route" : "route6"
        return "\(kind) \(prefix) origin \(ASNumber.text(origin))" + (source.map { " (\($0))" } ?? "")
    }
}
