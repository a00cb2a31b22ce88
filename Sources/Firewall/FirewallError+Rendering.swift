extension FirewallError {
    /// The expression, then a caret line under the span, then the message, for the CLI:
    ///
    /// ```
    /// tcp.dstport == 70000
    ///                ^^^^^
    /// error[number_out_of_range]: 70000 is out of range for tcp.dstport (0-65535)
    /// ```
    ///
    /// Spans are UTF-8 byte offsets; the caret line counts characters, so it lines up under
    /// non-ASCII text too. A zero-length span (end of input) gets one caret.
    package func rendered(in expression: String) -> String {
        let bytes = Array(expression.utf8)
        let start = min(max(span.start, 0), bytes.count)
        let end = min(max(span.end, start), bytes.count)
        let column = String(decoding: bytes[..<start], as: UTF8.self).count
        let width = max(1, String(decoding: bytes[start..<end], as: UTF8.self).count)
        // Newlines become spaces so that the caret line stays under the text.
        let line = expression.map { $0.isNewline ? " " : $0 }
        return String(line) + "\n" + String(repeating: " ", count: column) + String(repeating: "^", count: width)
            + "\nerror[\(code)]: \(message)"
    }
}
