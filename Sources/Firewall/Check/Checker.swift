import MoatModel

/// Type-checks a parsed expression against the scheme and the account's list names.
package struct Checker: Sendable {
    /// Names of the account's IP lists, for `in $name`.
    package var lists: Set<String>

    package init(lists: Set<String> = []) {
        self.lists = lists
    }

    /// Parses and checks `text`: the API and `moat firewall check` entry point.
    package func check(_ text: String) throws(FirewallError) -> CheckedExpression {
        try check(Parser.parse(text))
    }

    package func check(_ expression: Expression) throws(FirewallError) -> CheckedExpression {
        switch expression {
        case .test(let test): return try check(test)
        case .not(let operand, _): return .not(try check(operand))
        case .and(let lhs, let rhs): return .and(try check(lhs), try check(rhs))
        case .or(let lhs, let rhs): return .or(try check(lhs), try check(rhs))
        }
    }

    private func check(_ test: FieldTest) throws(FirewallError) -> CheckedExpression {
        guard let field = Scheme.field(named: test.field.name) else {
            throw FirewallError(.unknownField, test.field.span, "unknown field '\(test.field.name)'")
        }
        var mask: UInt64?
        if let literal = test.mask {
            guard case .number = field.type, field.maskable else {
                throw FirewallError(.typeMismatch, literal.span, "'&' does not apply to \(field.name), which is \(field.type)")
            }
            mask = try number(literal, for: field)
        }
        switch (field.type, test.predicate) {
        case (.bool, .isTrue):
            return .test(CheckedTest(field: field.name, condition: .flag(true)))
        case (.number, .isTrue) where mask != nil:
            return .test(CheckedTest(field: field.name, mask: mask, condition: .compare(.notEqual, 0)))
        case (_, .isTrue):
            throw FirewallError(.typeMismatch, test.field.span, "\(field.name) is \(field.type), not a boolean; compare it with a value")
        case (.bool, .compare(let op, let literal)):
            guard op == .equal || op == .notEqual else {
                throw FirewallError(.typeMismatch, literal.span, "\(field.name) is a boolean; use == or !=")
            }
            let value = try boolean(literal, for: field)
            return .test(CheckedTest(field: field.name, condition: .flag(op == .equal ? value : !value)))
        case (.number, .compare(let op, let literal)):
            let value = try number(literal, for: field)
            return .test(CheckedTest(field: field.name, mask: mask, condition: .compare(op, value)))
        case (.address, .compare(let op, let literal)):
            guard op == .equal || op == .notEqual else {
                throw FirewallError(.typeMismatch, literal.span, "\(field.name) is an IP address; use ==, != or in")
            }
            let prefix = try self.prefix(literal, for: field)
            return .test(CheckedTest(field: field.name, family: prefix.isIPv4 ? .ipv4 : .ipv6,
                                     condition: .addressIn([prefix], negated: op == .notEqual)))
        case (.bool, .member(let set)):
            throw FirewallError(.typeMismatch, set.span, "\(field.name) is a boolean; 'in' needs a number or address field")
        case (.number, .member(.list(_, let span))):
            throw FirewallError(.typeMismatch, span, "IP lists hold addresses; \(field.name) is \(field.type)")
        case (.number, .member(.inline(let elements, _))):
            var ranges: [ClosedRange<UInt64>] = []
            for element in elements {
                switch element {
                case .single(let literal):
                    let value = try number(literal, for: field)
                    ranges.append(value...value)
                case .range(let low, let high):
                    let lower = try number(low, for: field)
                    let upper = try number(high, for: field)
                    guard lower <= upper else {
                        throw FirewallError(.invalidRange, low.span.union(high.span), "range \(lower)..\(upper) is empty")
                    }
                    ranges.append(lower...upper)
                }
            }
            return .test(CheckedTest(field: field.name, mask: mask, condition: .numberIn(ranges, negated: false)))
        case (.address, .member(.list(let name, let span))):
            guard lists.contains(name) else {
                throw FirewallError(.unknownList, span, "the account has no IP list named '\(name)'")
            }
            return .or(.test(CheckedTest(field: field.name, family: .ipv4, condition: .list(name, negated: false))),
                       .test(CheckedTest(field: field.name, family: .ipv6, condition: .list(name, negated: false))))
        case (.address, .member(.inline(let elements, _))):
            var prefixes: [CIDR] = []
            for element in elements {
                guard case .single(let literal) = element else {
                    guard case .range(let low, let high) = element else { continue }
                    throw FirewallError(.typeMismatch, low.span.union(high.span), "address ranges are not supported; use CIDRs")
                }
                prefixes.append(try prefix(literal, for: field))
            }
            let v4 = prefixes.filter(\.isIPv4)
            let v6 = prefixes.filter { !$0.isIPv4 }
            let tests = [(Packet.Family.ipv4, v4), (.ipv6, v6)].filter { !$0.1.isEmpty }.map {
                CheckedExpression.test(CheckedTest(field: field.name, family: $0.0, condition: .addressIn($0.1, negated: false)))
            }
            return tests.dropFirst().reduce(tests[0]) { .or($0, $1) }
        }
    }

    private func number(_ literal: Literal, for field: Field) throws(FirewallError) -> UInt64 {
        let value: UInt64
        switch literal.value {
        case .number(let number):
            value = number
        case .name(let name):
            guard let symbol = field.symbols[name] else {
                let hint = field.symbols.isEmpty ? "" : " (known names: \(field.symbols.keys.sorted().joined(separator: ", ")))"
                throw FirewallError(.typeMismatch, literal.span, "\(field.name) is \(field.type); '\(name)' is not a value of it\(hint)")
            }
            value = symbol
        default:
            throw FirewallError(.typeMismatch, literal.span, "\(field.name) is \(field.type); \(literal) is not a number")
        }
        guard value <= field.maximum else {
            throw FirewallError(.numberOutOfRange, literal.span, "\(value) is out of range for \(field.name) (0-\(field.maximum))")
        }
        return value
    }

    private func boolean(_ literal: Literal, for field: Field) throws(FirewallError) -> Bool {
        switch literal.value {
        case .number(0), .name("false"): return false
        case .number(1), .name("true"): return true
        default: throw FirewallError(.typeMismatch, literal.span, "\(field.name) is a boolean; compare it with 0, 1, true or false")
        }
    }

    private func prefix(_ literal: Literal, for field: Field) throws(FirewallError) -> CIDR {
        switch literal.value {
        case .address(let address): return CIDR(host: address)
        case .cidr(let cidr): return cidr
        default: throw FirewallError(.typeMismatch, literal.span, "\(field.name) is an IP address; \(literal) is not an address or CIDR")
        }
    }
}

extension SetExpression {
    var span: Span {
        switch self {
        case .inline(_, let span), .list(_, let span): return span
        }
    }
}
