@testable import Firewall
import MoatModel
import Testing

/// Random trees → text → parse → the same tree.
@Suite struct RoundTripPropertyTests {
    /// SplitMix64: deterministic, so a failure names its seed.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
        mutating func pick<T>(_ values: [T]) -> T { values[below(values.count)] }
    }

    static let names = Scheme.fields.map(\.name) + ["foo.bar", "x"]

    static func literal(_ random: inout Random) -> Literal {
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

    static func test(_ random: inout Random) -> FieldTest {
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

    static func expression(_ random: inout Random, depth: Int) -> Expression {
        guard depth > 0 else { return .test(test(&random)) }
        switch random.below(5) {
        case 0: return .test(test(&random))
        case 1: return .not(expression(&random, depth: depth - 1), .none)
        case 2, 3: return .and(expression(&random, depth: depth - 1), expression(&random, depth: depth - 1))
        default: return .or(expression(&random, depth: depth - 1), expression(&random, depth: depth - 1))
        }
    }

    @Test func printThenParseGivesTheSameTree() throws {
        var random = Random(state: 0x5EED)
        for iteration in 0..<2000 {
            let tree = Self.expression(&random, depth: random.below(6))
            let text = tree.description
            let parsed = try Parser.parse(text)
            #expect(parsed.erasingSpans == tree, "iteration \(iteration): \(text)")
            #expect(parsed.description == text)
        }
    }
}
