/// A lexical token of the rule language, with its span.
package struct Token: Hashable, Sendable {
    package enum Kind: Hashable, Sendable {
        /// A word starting with a letter, made of letters, digits, `_` and single dots:
        /// a field name (`tcp.dstport`) or a symbolic value (`tcp`, `true`).
        case identifier(String)
        /// A word that is not an identifier: number, address or CIDR, classified by the parser.
        case literal(String)
        case string(String)
        /// `$name`
        case list(String)
        case and, or, not, `in`
        case equal, notEqual, less, lessEqual, greater, greaterEqual
        case ampersand, dotDot, comma
        case leftParen, rightParen, leftBrace, rightBrace
        case end
    }

    package var kind: Kind
    package var span: Span

    /// How the token reads in an error message.
    package var display: String {
        switch kind {
        case .identifier(let text), .literal(let text): return "'\(text)'"
        case .string(let text): return "\"\(text)\""
        case .list(let name): return "'$\(name)'"
        case .and: return "'and'"
        case .or: return "'or'"
        case .not: return "'not'"
        case .in: return "'in'"
        case .equal: return "'=='"
        case .notEqual: return "'!='"
        case .less: return "'<'"
        case .lessEqual: return "'<='"
        case .greater: return "'>'"
        case .greaterEqual: return "'>='"
        case .ampersand: return "'&'"
        case .dotDot: return "'..'"
        case .comma: return "','"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .leftBrace: return "'{'"
        case .rightBrace: return "'}'"
        case .end: return "end of expression"
        }
    }
}
