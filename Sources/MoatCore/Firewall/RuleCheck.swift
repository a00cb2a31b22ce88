import Firewall
import MoatModel

/// Checks rule expressions with the rule language before anything is stored.
enum RuleCheck {
    /// Throws a 400 `invalid_expression` that points at the text (`span` in UTF-8 bytes).
    static func check(_ expression: String, lists: Set<String>) throws {
        do {
            _ = try Checker(lists: lists).check(expression)
        } catch {
            throw APIError(.badRequest, code: "invalid_expression", "\(error.message) [\(error.code)]", field: "expression",
                           span: APIErrorBody.TextSpan(start: error.span.start, length: error.span.length))
        }
    }

    /// The first rule that would no longer check with `lists`, if any.
    static func firstBroken(_ rules: [FirewallRule], lists: Set<String>) -> FirewallRule? {
        let checker = Checker(lists: lists)
        return rules.first { (try? checker.check($0.expression)) == nil }
    }
}
