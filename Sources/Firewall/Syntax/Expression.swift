import MoatModel

/// The syntax tree of a rule expression, as written (before type checking).
///
/// `and`/`or` are binary and left-associative as parsed; spans point into the source text.
/// Equality includes spans: compare `erasingSpans` to compare structure only.
package indirect enum Expression: Hashable, Sendable {
    case test(FieldTest)
    /// `not e` / `!e`; the span covers the operator.
    case not(Expression, Span)
    case and(Expression, Expression)
    case or(Expression, Expression)

    /// Where the whole expression lies in the text.
    package var span: Span {
        switch self {
        case .test(let test): return test.span
        case .not(let operand, let span): return span.union(operand.span)
        case .and(let lhs, let rhs), .or(let lhs, let rhs): return lhs.span.union(rhs.span)
        }
    }
}

/// One field test: `field [& mask] [op value | in set]`.
package struct FieldTest: Hashable, Sendable {
    package var field: FieldName
    package var mask: Literal?
    package var predicate: Predicate
    package var span: Span

    package init(field: FieldName, mask: Literal? = nil, predicate: Predicate, span: Span = .none) {
        self.field = field
        self.mask = mask
        self.predicate = predicate
        self.span = span
    }
}

package struct FieldName: Hashable, Sendable {
    package var name: String
    package var span: Span

    package init(_ name: String, span: Span = .none) {
        self.name = name
        self.span = span
    }
}

/// What is asked of the field.
package enum Predicate: Hashable, Sendable {
    /// A bare field: a boolean field is set, or a masked number is non-zero.
    case isTrue
    case compare(ComparisonOperator, Literal)
    case member(SetExpression)
}

package enum ComparisonOperator: String, Hashable, Sendable, CaseIterable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case lessEqual = "<="
    case greater = ">"
    case greaterEqual = ">="

    /// The operator that holds exactly when this one does not (for a present field).
    package var negated: ComparisonOperator {
        switch self {
        case .equal: return .notEqual
        case .notEqual: return .equal
        case .less: return .greaterEqual
        case .lessEqual: return .greater
        case .greater: return .lessEqual
        case .greaterEqual: return .less
        }
    }
}

package enum SetExpression: Hashable, Sendable {
    /// `{a b c}` with the span of the braces.
    case inline([SetElement], Span)
    /// `$name`
    case list(String, Span)
}

package enum SetElement: Hashable, Sendable {
    case single(Literal)
    /// `low..high`
    case range(Literal, Literal)
}

/// A value as written.
package struct Literal: Hashable, Sendable {
    package enum Value: Hashable, Sendable {
        case number(UInt64)
        case address(IPAddress)
        case cidr(CIDR)
        /// A bare word used as a value: `tcp`, `true`.
        case name(String)
        case string(String)
    }

    package var value: Value
    package var span: Span

    package init(_ value: Value, span: Span = .none) {
        self.value = value
        self.span = span
    }
}
