@testable import Firewall
import MoatModel
import NetLab
import Testing

/// Random trees → text → parse → the same tree.
@Suite struct RoundTripPropertyTests {
    static let names = Scheme.fields.map(\.name) + ["foo.bar", "x"]

    static func literal(_ random: inout SeededRandom) -> Literal {
        switch random.below(6) {
        case 0: return Literal(.number(random.next() >> UInt64(random.below(64))))
        case 1: return Literal(.address(.v4(UInt32(truncatingIfNeeded: random.next()))))
        case 2: return Literal(.address(.v6(UInt128(random.next()) << 64 | UInt128(random.next() % 4))))
        case 3:
            let length = random.below(33)
            let address = IPAddress.v4(length == 0 ? 0 : (UInt32(truncatingIfNeeded: random.next()) >> (32 - length)) << (32 - length))
            return Literal(.cidr(try! CIDR(address: address, length: length)))
        case 4: return Literal(.name(random.pick(["tcp", "udp", "true", "false", "gre"])))
        default: return Literal(.string(random.pick(["", "x", "a b", "é"])))
        }
    }

    static func test(_ random: inout SeededRandom) -> FieldTest {
        let mask = random.below(4) == 0 ? literal(&random) : nil
        let predicate: Predicate
        switch random.below(4) {
        case 0: predicate = .isTrue
        case 1: predicate = .member(.list(random.pick(["office", "bad_hosts", "a-b"]), .none))
        case 2:
            let elements = (0...random.below(4)).map { _ in
                random.below(3) == 0 ? SetElement.range(literal(&random), literal(&random)) : .single(literal(&random))
            }
            predicate = .member(.inline(elements, .none))
        default: predicate = .compare(random.pick(ComparisonOperator.allCases), literal(&random))
        }
        return FieldTest(field: FieldName(random.pick(names)), mask: mask, predicate: predicate)
    }

    static func expression(_ random: inout SeededRandom, depth: Int) -> Expression {
        guard depth > 0 else { return .test(test(&random)) }
        switch random.below(5) {
        case 0: return .test(test(&random))
        case 1: return .not(expression(&random, depth: depth - 1), .none)
        case 2, 3: return .and(expression(&random, depth: depth - 1), expression(&random, depth: depth - 1))
        default: return .or(expression(&random, depth: depth - 1), expression(&random, depth: depth - 1))
        }
    }

    @Test func printThenParseGivesTheSameTree() throws {
        var random = SeededRandom(state: 0x5EED)
        for iteration in 0..<2000 {
            let tree = Self.expression(&random, depth: random.below(6))
            let text = tree.description
            let parsed = try Parser.parse(text)
            #expect(parsed.erasingSpans == tree, "iteration \(iteration): \(text)")
            #expect(parsed.description == text)
        }
    }
}
