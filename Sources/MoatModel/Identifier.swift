/// Object identifiers: a short kind prefix and 16 random hex digits (`pfx_9c1e52d0a4b7f318`),
/// so an ID in a log line says what it names.
public enum Identifier {
    public static func make(_ kind: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt64
        let hex = String(value, radix: 16)
        return kind + "_" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// Names chosen by people (locations, tunnels): ASCII letters, digits, `-` and `_`.
enum NameRules {
    static func isSlug(_ text: String, maxLength: Int) -> Bool {
        guard let first = text.unicodeScalars.first, text.count <= maxLength else { return false }
        guard ("a"..."z").contains(first) || ("A"..."Z").contains(first) || ("0"..."9").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { scalar in
            ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_"
        }
    }
}
