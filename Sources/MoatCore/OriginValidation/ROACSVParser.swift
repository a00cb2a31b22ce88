import MoatModel

/// Reads ROA data as CSV, in either of two forms:
///
/// - `prefix,max_length,asn`, e.g. `203.0.113.0/24,24,AS64500` (an empty max length means the
///   prefix's own length, as in RFC 6482 §3.3);
/// - the validators' export, `ASN,IP Prefix,Max Length,Trust Anchor`, e.g.
///   `AS13335,1.1.1.0/24,24,apnic` (Routinator `--format csv`, rpki-client `-c`).
///
/// A header line names the columns (in any order; other columns are ignored); without one the
/// form is told by the first line's shape. AS numbers read `AS64500` or `64500`. Blank lines
/// and `#` comments are skipped; identical entries count once.
package enum ROACSVParser {
    struct Layout: Equatable {
        var prefix: Int
        var maxLength: Int
        var asn: Int
        var fieldCount: Int { max(prefix, maxLength, asn) + 1 }

        static let plain = Layout(prefix: 0, maxLength: 1, asn: 2)
        static let validatorExport = Layout(prefix: 1, maxLength: 2, asn: 0)
    }

    package static func parse(_ text: String) throws(OriginDataError) -> [ROA] {
        var layout: Layout?
        var seen = Set<ROA>()
        var roas: [ROA] = []
        var number = 0
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            number += 1
            let trimmed = line.trimmingWhitespace
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingWhitespace.unquoted }
            if layout == nil {
                if let header = try headerLayout(fields, line: number) {
                    layout = header
                    continue
                }
                layout = try shapeLayout(fields, line: number)
            }
            let roa = try read(fields, layout!, line: number)
            if seen.insert(roa).inserted { roas.append(roa) }
        }
        guard !roas.isEmpty else {
            throw OriginDataError(line: nil, "no ROAs: expected lines of prefix,max_length,asn or ASN,IP Prefix,Max Length,Trust Anchor")
        }
        return roas
    }

    /// The column layout a header line names, or nil when the line is data.
    static func headerLayout(_ fields: [Substring], line: Int) throws(OriginDataError) -> Layout? {
        let names = fields.map { String($0.lowercased().filter { $0.isLetter || $0.isNumber }) }
        func column(_ accepted: Set<String>, _ label: String) throws(OriginDataError) -> Int {
            guard let index = names.firstIndex(where: accepted.contains) else {
                throw OriginDataError(line: line, "the header has no \(label) column")
            }
            return index
        }
        guard names.contains(where: { ["prefix", "ipprefix"].contains($0) }) else { return nil }
        return Layout(prefix: try column(["prefix", "ipprefix"], "prefix"),
                      maxLength: try column(["maxlength", "maxlen", "maxprefixlength"], "max length"),
                      asn: try column(["asn", "as", "originas", "originasn"], "ASN"))
    }

    /// The layout told by the first data line's shape.
    static func shapeLayout(_ fields: [Substring], line: Int) throws(OriginDataError) -> Layout {
        if fields.count >= 2, CIDR(String(fields[0])) != nil { return .plain }
        if fields.count >= 3, ASNumber.parse(fields[0]) != nil, CIDR(String(fields[1])) != nil { return .validatorExport }
        throw OriginDataError(line: line, "expected prefix,max_length,asn (203.0.113.0/24,24,AS64500) or ASN,IP Prefix,Max Length,Trust Anchor (AS64500,203.0.113.0/24,24,ripe)")
    }

    static func read(_ fields: [Substring], _ layout: Layout, line: Int) throws(OriginDataError) -> ROA {
        guard fields.count >= layout.fieldCount else {
            let expected = layout == .validatorExport ? "ASN, IP prefix, max length" : "prefix, max length, AS"
            throw OriginDataError(line: line, "expected \(layout.fieldCount) fields (\(expected)), found \(fields.count)")
        }
        let prefixText = String(fields[layout.prefix])
        let prefix: CIDR
        do {
            prefix = try CIDR.parse(prefixText)
        } catch {
            throw OriginDataError(line: line, "'\(prefixText)' is not a prefix: \(error.message)")
        }
        guard let asn = ASNumber.parse(fields[layout.asn]) else {
            throw OriginDataError(line: line, "'\(fields[layout.asn])' is not an AS number (write AS64500 or 64500)")
        }
        let maxText = fields[layout.maxLength]
        let maxLength: Int
        if maxText.isEmpty {
            maxLength = prefix.length
        } else {
            guard maxText.count <= 3, maxText.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(maxText) else {
                throw OriginDataError(line: line, "max length '\(maxText)' is not a number")
            }
            maxLength = value
        }
        guard maxLength >= prefix.length else {
            throw OriginDataError(line: line, "max length \(maxLength) is shorter than the prefix /\(prefix.length)")
        }
        guard maxLength <= prefix.address.bitWidth else {
            throw OriginDataError(line: line, "max length \(maxLength) is longer than /\(prefix.address.bitWidth), the longest \(prefix.isIPv4 ? "IPv4" : "IPv6") prefix")
        }
        return ROA(prefix: prefix, maxLength: maxLength, asn: asn)
    }
}

extension Substring {
    var trimmingWhitespace: Substring {
        guard let first = firstIndex(where: { !$0.isWhitespace }) else { return self[endIndex...] }
        let last = lastIndex(where: { !$0.isWhitespace })!
        return self[first...last]
    }

    /// Without one pair of surrounding double quotes.
    var unquoted: Substring {
        count >= 2 && hasPrefix("\"") && hasSuffix("\"") ? dropFirst().dropLast() : self
    }
}
