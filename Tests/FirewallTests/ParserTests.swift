@testable import Firewall
import MoatModel
import Testing

@Suite struct ParserTests {
    private func printed(_ text: String) throws -> String {
        try Parser.parse(text).description
    }

    @Test(arguments: [
        // Precedence: not > and > or; and/or left-associative.
        ("a.b or c.d and e.f", "a.b or c.d and e.f"),
        ("(a.b or c.d) and e.f", "(a.b or c.d) and e.f"),
        ("not a.b and c.d", "not a.b and c.d"),
        ("!(a.b && c.d) || e.f", "not (a.b and c.d) or e.f"),
        ("a.b and (c.d and e.f)", "a.b and (c.d and e.f)"),
        ("((a.b))", "a.b"),
        ("tcp.dstport==22", "tcp.dstport == 22"),
        ("tcp.flags & 0x12 == 0x02", "tcp.flags & 18 == 2"),
        ("tcp.dstport in {22 3389, 8000..8100}", "tcp.dstport in {22 3389 8000..8100}"),
        ("ip.src in {198.51.100.0/24 2001:db8::/32 fe80::1}", "ip.src in {198.51.100.0/24 2001:db8::/32 fe80::1}"),
        ("ip.src in $office", "ip.src in $office"),
        ("ip.proto == tcp", "ip.proto == tcp"),
        ("tcp.dstport != \"x\"", "tcp.dstport != \"x\""),
    ])
    func canonicalText(input: String, expected: String) throws {
        #expect(try printed(input) == expected)
    }

    @Test func treeShapeAndSpans() throws {
        let tree = try Parser.parse("not ip.frag or tcp.dstport >= 1024")
        guard case .or(.not(.test(let frag), let notSpan), .test(let port)) = tree else {
            Issue.record("unexpected tree \(tree)")
            return
        }
        #expect(frag.field.name == "ip.frag" && frag.predicate == .isTrue)
        #expect(notSpan == Span(start: 0, length: 3))
        #expect(port.span == Span(start: 15, length: 19))
        #expect(port.predicate == .compare(.greaterEqual, Literal(.number(1024), span: Span(start: 30, length: 4))))
    }

    @Test func tokensAndHexNumbers() throws {
        let tokens = try Lexer.tokenize("a.b&&0x1F..$l").map(\.kind)
        #expect(tokens == [.identifier("a.b"), .and, .literal("0x1F"), .dotDot, .list("l"), .end])
    }
}
