/// An error in a rule expression, pointing at the text at fault.
///
/// A struct with an open set of codes (postgres-nio's `PSQLError` pattern): adding a code
/// does not break callers that switch on the ones they know.
package struct FirewallError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable, machine-readable error code (also the API's `code`).
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        package static let unexpectedToken = Code("unexpected_token")
        package static let unexpectedEnd = Code("unexpected_end")
        package static let invalidCharacter = Code("invalid_character")
        package static let invalidLiteral = Code("invalid_literal")
        package static let unknownField = Code("unknown_field")
        package static let typeMismatch = Code("type_mismatch")
        package static let badCIDR = Code("bad_cidr")
        package static let numberOutOfRange = Code("number_out_of_range")
        package static let invalidRange = Code("invalid_range")
        package static let unknownList = Code("unknown_list")
        package static let nestingTooDeep = Code("nesting_too_deep")
        package static let expressionTooLong = Code("expression_too_long")

        package var description: String { rawValue }
    }

    package var code: Code
    /// Where in the expression, in UTF-8 bytes (see `Span`).
    package var span: Span
    /// A human sentence, without the position.
    package var message: String

    package init(_ code: Code, _ span: Span, _ message: String) {
        self.code = code
        self.span = span
        self.message = message
    }

    package var description: String { "\(code) at \(span): \(message)" }
}
