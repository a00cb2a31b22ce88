@testable import Firewall
import Testing

@Suite struct ErrorTests {
    private func error(_ text: String, lists: Set<String> = ["office"]) -> FirewallError? {
        do {
            _ = try Checker(lists: lists).check(text)
            return nil
        } catch {
            return error
        }
    }

    /// Every code, with the text its span must cover.
    @Test(arguments: [
        ("tcp.dport == 22", FirewallError.Code.unknownField, "tcp.dport"),
        ("tcp.dstport == \"x\"", .typeMismatch, "\"x\""),
        ("ip.src > 5", .typeMismatch, "5"),
        ("ip.src == 5", .typeMismatch, "5"),
        ("tcp.dstport in {10.0.0.0/8}", .typeMismatch, "10.0.0.0/8"),
        ("tcp.dstport", .typeMismatch, "tcp.dstport"),
        ("ip.proto == bogus", .typeMismatch, "bogus"),
        ("ip.len & 3 == 1", .typeMismatch, "3"),
        ("ip.src in {10.0.0.1/8}", .badCIDR, "10.0.0.1/8"),
        ("ip.src == 10.0.0.0/33", .badCIDR, "10.0.0.0/33"),
        ("tcp.dstport == 65536", .numberOutOfRange, "65536"),
        ("ip.ttl > 256", .numberOutOfRange, "256"),
        ("tcp.dstport in {1..70000}", .numberOutOfRange, "70000"),
        ("tcp.dstport in {9..3}", .invalidRange, "9..3"),
        ("ip.src in $nope", .unknownList, "$nope"),
        ("ip.src == 10.0.0.300", .invalidLiteral, "10.0.0.300"),
        ("ip.src == 10.0.0.1 # x", .invalidCharacter, "#"),
        ("ip.src == 10.0.0.1 tcp.dstport", .unexpectedToken, "tcp.dstport"),
        ("(ip.frag", .unexpectedEnd, ""),
        ("ip.src ==", .unexpectedEnd, ""),
        ("tcp.dstport == 99999999999999999999", .numberOutOfRange, "99999999999999999999"),
    ])
    func codeAndSpan(text: String, code: FirewallError.Code, covered: String) throws {
        let error = try #require(self.error(text))
        #expect(error.code == code, "\(error)")
        let bytes = Array(text.utf8)
        let spanned = String(decoding: bytes[error.span.start..<error.span.end], as: UTF8.self)
        #expect(spanned == covered, "\(error)")
    }

    @Test func nestingTooDeep() throws {
        let text = String(repeating: "(", count: 65) + "ip.frag" + String(repeating: ")", count: 65)
        let error = try #require(self.error(text))
        #expect(error.code == .nestingTooDeep)
        #expect(error.span == Span(start: 64, length: 1))
        #expect(self.error(String(repeating: "not ", count: 64) + "ip.frag") == nil)
        #expect(self.error(String(repeating: "not ", count: 65) + "ip.frag")?.code == .nestingTooDeep)
    }

    @Test func expressionTooLong() throws {
        let text = Array(repeating: "ip.frag", count: 1200).joined(separator: " or ")
        let error = try #require(self.error(text))
        #expect(error.code == .expressionTooLong)
        #expect(error.span.start == 8192)
    }

    @Test func caretUnderSpan() throws {
        let text = "tcp.dstport == 70000"
        let error = try #require(self.error(text))
        #expect(error.rendered(in: text) == """
            tcp.dstport == 70000
                           ^^^^^
            error[number_out_of_range]: 70000 is out of range for tcp.dstport (0-65535)
            """)
    }

    @Test func caretCountsCharactersAfterNonASCII() throws {
        let text = "ip.src == \"é\" or x.y"
        let error = try #require(self.error(text))
        #expect(error.code == .typeMismatch)
        let lines = error.rendered(in: text).split(separator: "\n")
        #expect(lines[1] == "          ^^^")
    }

    @Test func caretAtEnd() throws {
        let text = "ip.frag and"
        let error = try #require(self.error(text))
        #expect(error.rendered(in: text).split(separator: "\n")[1] == "           ^")
    }
}
