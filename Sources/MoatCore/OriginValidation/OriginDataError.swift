/// Why ROA or IRR data was refused, and on which line (1-based) when one is at fault.
package struct OriginDataError: Error, Equatable, Sendable, CustomStringConvertible {
    package var line: Int?
    package var message: String

    package init(line: Int?, _ message: String) {
        self.line = line
        self.message = message
    }

    /// `line 17: max length 20 is shorter than the prefix /24`.
    package var description: String { line.map { "line \($0): \(message)" } ?? message }
}
