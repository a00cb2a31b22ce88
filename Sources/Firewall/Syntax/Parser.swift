import MoatModel

/// Recursive-descent parser: `or` < `and` < `not` < primary (parentheses or a test).
///
/// ```
/// expr     := and ( ("or" | "||") and )*
/// and      := unary ( ("and" | "&&") unary )*
/// unary    := ("not" | "!") unary | primary
/// primary  := "(" expr ")" | test
/// test     := FIELD ("&" value)? ( op value | "in" set )?
/// set      := "{" element ( ","? element )* "}" | "$" NAME
/// element  := value ( ".." value )?
/// ```
package struct Parser {
    /// The deepest nesting of parentheses and `not` accepted.
    package static let maximumDepth = 64

    private var tokens: [Token]
    private var index = 0
    private var depth = 0

    /// Parses a whole expression.
    package static func parse(_ text: String) throws(FirewallError) -> Expression {
        var parser = Parser(tokens: try Lexer.tokenize(text))
        let expression = try parser.parseOr()
        guard parser.current.kind == .end else {
            throw parser.unexpected("expected 'and', 'or' or the end of the expression")
        }
        return expression
    }

    private init(tokens: [Token]) {
        self.tokens = tokens
    }

    private var current: Token { tokens[index] }

    private mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func unexpected(_ expectation: String) -> FirewallError {
        if current.kind == .end {
            return FirewallError(.unexpectedEnd, current.span, "unexpected end of expression; \(expectation)")
        }
        return FirewallError(.unexpectedToken, current.span, "unexpected \(current.display); \(expectation)")
    }

    private mutating func parseOr() throws(FirewallError) -> Expression {
        var lhs = try parseAnd()
        while current.kind == .or {
            _ = advance()
            lhs = .or(lhs, try parseAnd())
        }
        return lhs
    }

    private mutating func parseAnd() throws(FirewallError) -> Expression {
        var lhs = try parseUnary()
        while current.kind == .and {
            _ = advance()
            lhs = .and(lhs, try parseUnary())
        }
        return lhs
    }

    private mutating func enter(_ token: Token) throws(FirewallError) {
        depth += 1
        guard depth <= Self.maximumDepth else {
            throw FirewallError(.nestingTooDeep, token.span, "nesting is deeper than \(Self.maximumDepth) levels")
        }
    }

    private mutating func parseUnary() throws(FirewallError) -> Expression {
        guard current.kind == .not else { return try parsePrimary() }
        let token = advance()
        try enter(token)
        defer { depth -= 1 }
        return .not(try parseUnary(), token.span)
    }

    private mutating func parsePrimary() throws(FirewallError) -> Expression {
        switch current.kind {
        case .leftParen:
            let open = advance()
            try enter(open)
            defer { depth -= 1 }
            let inner = try parseOr()
            guard current.kind == .rightParen else { throw unexpected("expected ')'") }
            _ = advance()
            return inner
        case .identifier(let name):
            let token = advance()
            return .test(try parseTest(FieldName(name, span: token.span)))
        default:
            throw unexpected("expected a field name, 'not' or '('")
        }
    }

    private mutating func parseTest(_ field: FieldName) throws(FirewallError) -> FieldTest {
        var mask: Literal?
        if current.kind == .ampersand {
            _ = advance()
            mask = try parseValue()
        }
        let predicate: Predicate
        if let comparison = Self.comparison(current.kind) {
            _ = advance()
            predicate = .compare(comparison, try parseValue())
        } else if current.kind == .in {
            _ = advance()
            predicate = .member(try parseSet())
        } else {
            predicate = .isTrue
        }
        let last = tokens[max(index - 1, 0)].span
        return FieldTest(field: field, mask: mask, predicate: predicate, span: field.span.union(last))
    }

    private mutating func parseSet() throws(FirewallError) -> SetExpression {
        if case .list(let name) = current.kind {
            return .list(name, advance().span)
        }
        guard current.kind == .leftBrace else { throw unexpected("expected '{' or '$list' after 'in'") }
        let open = advance()
        var elements: [SetElement] = []
        while current.kind != .rightBrace {
            if !elements.isEmpty, current.kind == .comma { _ = advance() }
            let low = try parseValue()
            if current.kind == .dotDot {
                _ = advance()
                elements.append(.range(low, try parseValue()))
            } else {
                elements.append(.single(low))
            }
        }
        guard !elements.isEmpty else { throw unexpected("expected at least one value in the set") }
        let close = advance()
        return .inline(elements, open.span.union(close.span))
    }

    private mutating func parseValue() throws(FirewallError) -> Literal {
        switch current.kind {
        case .identifier(let name):
            return Literal(.name(name), span: advance().span)
        case .string(let text):
            return Literal(.string(text), span: advance().span)
        case .literal(let text):
            let token = advance()
            return Literal(try Self.classify(text, span: token.span), span: token.span)
        default:
            throw unexpected("expected a value")
        }
    }

    /// Number (decimal or `0x` hex), IPv4/IPv6 address, or CIDR.
    static func classify(_ text: String, span: Span) throws(FirewallError) -> Literal.Value {
        if text.hasPrefix("0x") || text.hasPrefix("0X") {
            let digits = text.dropFirst(2)
            guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit) else {
                throw FirewallError(.invalidLiteral, span, "'\(text)' is not a hexadecimal number")
            }
            guard let value = UInt64(digits, radix: 16) else {
                throw FirewallError(.numberOutOfRange, span, "\(text) does not fit in 64 bits")
            }
            return .number(value)
        }
        if text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let value = UInt64(text) else {
                throw FirewallError(.numberOutOfRange, span, "\(text) does not fit in 64 bits")
            }
            return .number(value)
        }
        if text.utf8.contains(UInt8(ascii: "/")) {
            do {
                return .cidr(try CIDR.parse(text))
            } catch {
                if case .invalidAddress = error {
                    throw FirewallError(.invalidLiteral, span, "'\(text)': \(error.message)")
                }
                throw FirewallError(.badCIDR, span, "'\(text)': \(error.message)")
            }
        }
        guard let address = IPAddress(text) else {
            throw FirewallError(.invalidLiteral, span, "'\(text)' is not a number, an IP address or a CIDR")
        }
        return .address(address)
    }

    private static func comparison(_ kind: Token.Kind) -> ComparisonOperator? {
        switch kind {
        case .equal: return .equal
        case .notEqual: return .notEqual
        case .less: return .less
        case .lessEqual: return .lessEqual
        case .greater: return .greater
        case .greaterEqual: return .greaterEqual
        default: return nil
        }
    }
}
