import MoatModel

/// One Validated ROA Payload (RFC 6811 §2): an AS may originate `prefix` and its more
/// specifics up to `maxLength` bits.
package struct ROA: Hashable, Sendable, CustomStringConvertible {
    package var prefix: CIDR
    package var maxLength: Int
    /// AS0 (RFC 6483 §4, RFC 7607) says no AS may originate the prefix.
    package var asn: UInt32

    package init(prefix: CIDR, maxLength: Int, asn: UInt32) {
        self.prefix = prefix
        self.maxLength = maxLength
        self.asn = asn
    }

    /// `ROA 203.0.113.0/24 max /24 AS64500`.
    package var description: String { "ROA \(prefix) max /\(maxLength) \(ASNumber.text(asn))" }
}
