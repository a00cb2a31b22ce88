/// Canonical text of an expression: parsing it gives back the same tree (spans aside).
///
/// Parentheses appear only where precedence or left-associativity requires them.
extension Expression: CustomStringConvertible {
    package var description: String { printed(precedence: 0) }

    private var precedence: Int {
        switch self {
        case .or: return 1
        case .and: return 2
        case .not: return 3
        case .test: return 4
        }
    }

    private func printed(precedence context: Int) -> String {
        let text: String
        switch self {
        case .test(let test):
            text = test.description
        case .not(let operand, _):
            text = "not " + operand.printed(precedence: 3)
        case .and(let lhs, let rhs):
            text = lhs.printed(precedence: 2) + " and " + rhs.printed(precedence: 3)
        case .or(let lhs, let rhs):
            text = lhs.printed(precedence: 1) + " or " + rhs.printed(precedence: 2)
        }
        return precedence < context ? "(" + text + ")" : text
    }

    /// The same tree with every span set to `Span.none`, for structural comparison.
    package var erasingSpans: Expression {
        switch self {
        case .test(let test): return .test(test.erasingSpans)
        case .not(let operand, _): return .not(operand.erasingSpans, .none)
        case .and(let lhs, let rhs): return .and(lhs.erasingSpans, rhs.erasingSpans)
        case .or(let lhs, let rhs): return .or(lhs.erasingSpans, rhs.erasingSpans)
        }
    }
}

extension FieldTest: CustomStringConvertible {
    package var description: String {
        var text = field.name
        if let mask { text += " & \(mask)" }
        switch predicate {
        case .isTrue: break
        case .compare(let op, let value): text += " \(op.rawValue) \(value)"
        case .member(.list(let name, _)): text += " in $\(name)"
        case .member(.inline(let elements, _)):
            text += " in {" + elements.map(\.description).joined(separator: " ") + "}"
        }
        return text
    }

    var erasingSpans: FieldTest {
        let predicate: Predicate
        switch self.predicate {
        case .isTrue: predicate = .isTrue
        case .compare(let op, let value): predicate = .compare(op, value.erasingSpan)
        case .member(.list(let name, _)): predicate = .member(.list(name, .none))
        case .member(.inline(let elements, _)): predicate = .member(.inline(elements.map(\.erasingSpans), .none))
        }
        return FieldTest(field: FieldName(field.name), mask: mask?.erasingSpan, predicate: predicate)
    }
}

extension SetElement: CustomStringConvertible {
    package var description: String {
        switch self {
        case .single(let value): return value.description
        case .range(let low, let high): return "\(low)..\(high)"
        }
    }

    var erasingSpans: SetElement {
        switch self {
        case .single(let value): return .single(value.erasingSpan)
        case .range(let low, let high): return .range(low.erasingSpan, high.erasingSpan)
        }
    }
}

extension Literal: CustomStringConvertible {
    package var description: String {
        switch value {
        case .number(let number): return String(number)
        case .address(let address): return address.description
        case .cidr(let cidr): return cidr.description
        case .name(let name): return name
        case .string(let text): return "\"\(text)\""
        }
    }

    var erasingSpan: Literal { Literal(value) }
}
