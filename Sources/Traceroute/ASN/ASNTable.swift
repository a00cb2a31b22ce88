import MoatModel

/// An operator's IP-to-ASN file: one range per line, tab-separated `start end asn name`
/// (the iptoasn.com layout). `#` starts a comment line; the name may be missing; AS 0 marks
/// unrouted space and gives no AS. Ranges must not overlap.
package struct ASNTable: Sendable {
    package struct Entry: Equatable, Sendable {
        package var start: IPAddress
        package var end: IPAddress
        package var asn: UInt32
        package var name: String?
    }

    /// Sorted by start; no two overlap.
    package private(set) var entries: [Entry]

    package init(entries: [Entry] = []) {
        self.entries = entries.sorted { $0.start < $1.start }
    }

    /// Parses the file's text; the error names the line.
    package static func parse(_ text: String) throws(ASNTableError) -> ASNTable {
        var entries: [(entry: Entry, line: Int)] = []
        // "\r\n" is one Character, so CRLF files split here too.
        for (index, content) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = index + 1
            if content.allSatisfy(\.isWhitespace) || content.hasPrefix("#") { continue }
            let fields = content.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 3 else {
                throw ASNTableError(line: line, "expected 'start<TAB>end<TAB>asn[<TAB>name]', got \(fields.count) field\(fields.count == 1 ? "" : "s")")
            }
            guard let start = IPAddress(fields[0]) else { throw ASNTableError(line: line, "'\(fields[0])' is not an IP address") }
            guard let end = IPAddress(fields[1]), end.isIPv4 == start.isIPv4 else {
                throw ASNTableError(line: line, "'\(fields[1])' is not an IP address of the start's family")
            }
            guard start <= end else { throw ASNTableError(line: line, "the range ends (\(end)) before it starts (\(start))") }
            let asnText = fields[2].hasPrefix("AS") ? String(fields[2].dropFirst(2)) : fields[2]
            guard let asn = UInt32(asnText) else { throw ASNTableError(line: line, "'\(fields[2])' is not an AS number") }
            let name = fields.count > 3 ? fields[3...].joined(separator: "\t").trimmingSpaces : ""
            guard asn != 0 else { continue }
            entries.append((Entry(start: start, end: end, asn: asn, name: name.isEmpty ? nil : name), line))
        }
        entries.sort { $0.entry.start < $1.entry.start }
        for (previous, next) in zip(entries, entries.dropFirst()) where next.entry.start.isIPv4 == previous.entry.start.isIPv4
            && next.entry.start <= previous.entry.end {
            throw ASNTableError(line: next.line, "the range \(next.entry.start)-\(next.entry.end) overlaps line \(previous.line)")
        }
        return ASNTable(entries: entries.map(\.entry))
    }

    /// The range holding `address`, if any.
    package func lookup(_ address: IPAddress) -> Entry? {
        // The last entry starting at or before the address.
        var low = 0
        var high = entries.count
        while low < high {
            let middle = (low + high) / 2
            if entries[middle].start <= address { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let entry = entries[low - 1]
        return entry.start.isIPv4 == address.isIPv4 && address <= entry.end ? entry : nil
    }

    /// The name of `asn` from any of its ranges (for AS numbers that come from BGP).
    package func name(of asn: UInt32) -> String? {
        entries.first { $0.asn == asn && $0.name != nil }?.name
    }
}

/// A fault in an IP-to-ASN file, with its line.
package struct ASNTableError: Error, Equatable, CustomStringConvertible {
    package var line: Int
    package var message: String

    package init(line: Int, _ message: String) {
        self.line = line
        self.message = message
    }

    package var description: String { "line \(line): \(message)" }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
