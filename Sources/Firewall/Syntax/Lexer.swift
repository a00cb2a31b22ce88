/// Splits an expression into tokens. Works on UTF-8 bytes, so spans are byte offsets.
package struct Lexer {
    /// The longest expression accepted, in UTF-8 bytes.
    package static let maximumLength = 8 * 1024

    private let bytes: [UInt8]
    private var position = 0

    package init(_ text: String) {
        self.bytes = Array(text.utf8)
    }

    /// All tokens, ending with `.end`.
    package static func tokenize(_ text: String) throws(FirewallError) -> [Token] {
        var lexer = Lexer(text)
        guard lexer.bytes.count <= maximumLength else {
            throw FirewallError(.expressionTooLong, Span(start: maximumLength, length: lexer.bytes.count - maximumLength),
                                "expression is \(lexer.bytes.count) bytes long; the limit is \(maximumLength)")
        }
        var tokens: [Token] = []
        while true {
            let token = try lexer.next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private static let punctuation: [(String, Token.Kind)] = [
        ("==", .equal), ("!=", .notEqual), ("<=", .lessEqual), (">=", .greaterEqual),
        ("&&", .and), ("||", .or), ("..", .dotDot),
        ("<", .less), (">", .greater), ("!", .not), ("&", .ampersand), (",", .comma),
        ("(", .leftParen), (")", .rightParen), ("{", .leftBrace), ("}", .rightBrace),
    ]

    private static let keywords: [String: Token.Kind] = ["and": .and, "or": .or, "not": .not, "in": .in]

    private mutating func next() throws(FirewallError) -> Token {
        while position < bytes.count, Self.isSpace(bytes[position]) { position += 1 }
        let start = position
        guard position < bytes.count else { return Token(kind: .end, span: Span(start: start, length: 0)) }
        let byte = bytes[position]
        if Self.isWordByte(byte) && byte != UInt8(ascii: ".") {
            return word(from: start)
        }
        if byte == UInt8(ascii: "\"") {
            return try string(from: start)
        }
        if byte == UInt8(ascii: "$") {
            position += 1
            let nameStart = position
            while position < bytes.count, Self.isNameByte(bytes[position]) { position += 1 }
            guard position > nameStart else {
                throw FirewallError(.unexpectedToken, Span(start: start, length: 1), "expected a list name after '$'")
            }
            let name = String(decoding: bytes[nameStart..<position], as: UTF8.self)
            return Token(kind: .list(name), span: Span(start: start, length: position - start))
        }
        for (text, kind) in Self.punctuation where hasPrefix(text) {
            position += text.utf8.count
            return Token(kind: kind, span: Span(start: start, length: text.utf8.count))
        }
        let length = Self.scalarLength(byte)
        let character = String(decoding: bytes[start..<min(start + length, bytes.count)], as: UTF8.self)
        throw FirewallError(.invalidCharacter, Span(start: start, length: length), "unexpected character '\(character)'")
    }

    /// A run of word bytes, stopping before `..` so that `8000..8100` is three tokens.
    private mutating func word(from start: Int) -> Token {
        while position < bytes.count, Self.isWordByte(bytes[position]) {
            if bytes[position] == UInt8(ascii: "."), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: ".") {
                break
            }
            position += 1
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        let span = Span(start: start, length: position - start)
        if let keyword = Self.keywords[text] { return Token(kind: keyword, span: span) }
        return Token(kind: Self.isIdentifier(text) ? .identifier(text) : .literal(text), span: span)
    }

    private mutating func string(from start: Int) throws(FirewallError) -> Token {
        position += 1
        while position < bytes.count, bytes[position] != UInt8(ascii: "\"") { position += 1 }
        guard position < bytes.count else {
            throw FirewallError(.unexpectedEnd, Span(start: start, length: position - start), "unterminated string")
        }
        position += 1
        let text = String(decoding: bytes[(start + 1)..<(position - 1)], as: UTF8.self)
        return Token(kind: .string(text), span: Span(start: start, length: position - start))
    }

    private func hasPrefix(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard position + utf8.count <= bytes.count else { return false }
        return Array(bytes[position..<(position + utf8.count)]) == utf8
    }

    /// Letters, digits, `_`, single dots; a word with a `:` or `/` or a leading digit is a literal.
    static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.utf8.first, isLetter(first) else { return false }
        return text.utf8.allSatisfy { isNameByte($0) || $0 == UInt8(ascii: ".") } && !text.hasSuffix(".")
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    private static func isWordByte(_ byte: UInt8) -> Bool {
        isLetter(byte) || (byte >= 0x30 && byte <= 0x39) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "/")
    }

    private static func scalarLength(_ byte: UInt8) -> Int {
        switch byte {
        case 0xF0...: return 4
        case 0xE0...: return 3
        case 0xC0...: return 2
        default: return 1
        }
    }
}
