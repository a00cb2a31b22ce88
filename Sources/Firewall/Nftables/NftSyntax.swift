import MoatModel

/// Spelling of nft values and sets.
package enum NftSyntax {
    static func number(_ value: UInt64, hex: Bool) -> String {
        hex ? "0x" + (value < 16 ? "0" : "") + String(value, radix: 16) : String(value)
    }

    /// Disjoint, sorted ranges: nft rejects overlapping intervals in an anonymous set.
    static func merged(_ ranges: [ClosedRange<UInt64>]) -> [ClosedRange<UInt64>] {
        var result: [ClosedRange<UInt64>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, last.upperBound == .max || range.lowerBound <= last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }

    /// `22` and `8000-8100`: the merged ranges as set elements.
    static func elements(_ ranges: [ClosedRange<UInt64>], format: (UInt64) -> String) -> [String] {
        merged(ranges).map {
            $0.lowerBound == $0.upperBound ? format($0.lowerBound) : "\(format($0.lowerBound))-\(format($0.upperBound))"
        }
    }

    /// Single values, never merged into ranges, as set elements.
    static func elements(values: [UInt64], format: (UInt64) -> String) -> [String] {
        Set(values).sorted().map(format)
    }

    /// Prefixes without those inside another (CIDRs nest or are disjoint), sorted.
    package static func disjoint(_ prefixes: [CIDR]) -> [CIDR] {
        // Two prefixes are nested or disjoint, so after sorting by start (shortest first) a
        // prefix is covered exactly when the last one kept covers it: O(n log n) for 100,000.
        let sorted = prefixes.sorted()
        var kept: [CIDR] = []
        kept.reserveCapacity(sorted.count)
        for prefix in sorted {
            if let last = kept.last, last.contains(prefix) { continue }
            kept.append(prefix)
        }
        return kept
    }

    /// `192.0.2.1` and `10.0.0.0/8`: the prefixes as set elements; host prefixes print as addresses.
    static func elements(_ prefixes: [CIDR]) -> [String] {
        disjoint(prefixes).map(element)
    }

    package static func element(_ prefix: CIDR) -> String {
        prefix.length == prefix.address.bitWidth ? prefix.address.description : prefix.description
    }

    /// A name usable in nft identifiers: letters, digits and `_`.
    static func identifier(_ text: String) -> String {
        String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "_" })
    }
}
