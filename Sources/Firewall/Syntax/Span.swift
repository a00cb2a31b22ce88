/// A region of the rule expression text.
///
/// Units are **UTF-8 bytes** from the start of the expression: the API returns them as is
/// (stable across languages, what `String.utf8` indexes), and `FirewallError.rendered(in:)`
/// converts them to character columns for the caret line.
package struct Span: Hashable, Sendable, CustomStringConvertible {
    /// Offset of the first byte, in UTF-8 bytes.
    package var start: Int
    /// Length in UTF-8 bytes; zero for "at this position" (e.g. unexpected end).
    package var length: Int

    package init(start: Int, length: Int) {
        self.start = start
        self.length = length
    }

    /// The span used by synthesised nodes (tests, generated ASTs).
    package static let none = Span(start: 0, length: 0)

    package var end: Int { start + length }

    /// The smallest span covering both.
    package func union(_ other: Span) -> Span {
        let lower = min(start, other.start)
        return Span(start: lower, length: max(end, other.end) - lower)
    }

    package var description: String { "\(start)+\(length)" }
}
