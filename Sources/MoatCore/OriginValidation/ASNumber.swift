/// How AS numbers are written in data files and reasons.
package enum ASNumber {
    /// `AS64500`.
    package static func text(_ asn: UInt32) -> String { "AS\(asn)" }

    /// Reads `AS64500`, `as64500` or `64500` (asplain, RFC 5396), 0 through 4294967295.
    package static func parse(_ text: some StringProtocol) -> UInt32? {
        var digits = Substring(text)
        if digits.count > 2, digits.prefix(2).lowercased() == "as" { digits = digits.dropFirst(2) }
        guard !digits.isEmpty, digits.count <= 10, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt32(digits)
    }
}
