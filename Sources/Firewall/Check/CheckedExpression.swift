import MoatModel

/// A type-checked expression: fields resolved, names and literals turned into values,
/// address tests split by family. Both backends (evaluator, nftables) take this form.
package indirect enum CheckedExpression: Hashable, Sendable {
    case test(CheckedTest)
    case not(CheckedExpression)
    case and(CheckedExpression, CheckedExpression)
    case or(CheckedExpression, CheckedExpression)
}

/// One test on a present field. When the field is absent the test is false.
package struct CheckedTest: Hashable, Sendable {
    /// A name declared in `Scheme.fields`.
    package var field: String
    /// For address tests: the family of the values (the test is false on the other family).
    package var family: Packet.Family?
    /// `field & mask` for number fields.
    package var mask: UInt64?
    package var condition: Condition

    package init(field: String, family: Packet.Family? = nil, mask: UInt64? = nil, condition: Condition) {
        self.field = field
        self.family = family
        self.mask = mask
        self.condition = condition
    }

    /// The test that holds on a present field exactly when this one does not.
    package var complement: CheckedTest {
        var result = self
        result.condition = condition.complement
        return result
    }

    /// The scheme row; checked tests only name declared fields.
    var row: Field { Scheme.field(named: field)! }
}

package enum Condition: Hashable, Sendable {
    /// A boolean field has this value.
    case flag(Bool)
    case compare(ComparisonOperator, UInt64)
    /// The number lies in one of the ranges (`negated`: in none of them).
    case numberIn([ClosedRange<UInt64>], negated: Bool)
    /// The address lies in one of the prefixes, all of the test's family.
    case addressIn([CIDR], negated: Bool)
    /// The address is in the account's named list (its entries of the test's family).
    case list(String, negated: Bool)

    package var complement: Condition {
        switch self {
        case .flag(let value): return .flag(!value)
        case .compare(let op, let value): return .compare(op.negated, value)
        case .numberIn(let ranges, let negated): return .numberIn(ranges, negated: !negated)
        case .addressIn(let prefixes, let negated): return .addressIn(prefixes, negated: !negated)
        case .list(let name, let negated): return .list(name, negated: !negated)
        }
    }
}
