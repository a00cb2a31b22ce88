import MoatModel

/// Evaluates checked expressions on packets: the oracle the nftables output is tested against.
package struct Evaluator: Sendable {
    /// The account's IP lists by name (both families mixed).
    package var lists: [String: [CIDR]]

    package init(lists: [String: [CIDR]] = [:]) {
        self.lists = lists
    }

    /// Whether `expression` matches the raw packet (starting at the IP header).
    package func matches(_ expression: CheckedExpression, bytes: [UInt8]) -> Bool {
        matches(expression, packet: Packet(bytes: bytes))
    }

    /// A nil packet (not a valid IP header) has no fields: every test on it is false.
    package func matches(_ expression: CheckedExpression, packet: Packet?) -> Bool {
        switch expression {
        case .test(let test): return packet.map { matches(test, packet: $0) } ?? false
        case .not(let operand): return !matches(operand, packet: packet)
        case .and(let lhs, let rhs): return matches(lhs, packet: packet) && matches(rhs, packet: packet)
        case .or(let lhs, let rhs): return matches(lhs, packet: packet) || matches(rhs, packet: packet)
        }
    }

    /// A test is false when its field is absent, whatever the operator.
    func matches(_ test: CheckedTest, packet: Packet) -> Bool {
        guard let value = test.row.read(packet) else { return false }
        switch (value, test.condition) {
        case (.bool(let flag), .flag(let expected)):
            return flag == expected
        case (.number(let raw), .compare(let op, let operand)):
            let number = test.mask.map { raw & $0 } ?? raw
            switch op {
            case .equal: return number == operand
            case .notEqual: return number != operand
            case .less: return number < operand
            case .lessEqual: return number <= operand
            case .greater: return number > operand
            case .greaterEqual: return number >= operand
            }
        case (.number(let raw), .numberIn(let ranges, let negated)):
            let number = test.mask.map { raw & $0 } ?? raw
            return ranges.contains { $0.contains(number) } != negated
        case (.address(let address), .addressIn(let prefixes, let negated)):
            guard family(of: address) == test.family else { return false }
            return prefixes.contains { $0.contains(address) } != negated
        case (.address(let address), .list(let name, let negated)):
            guard family(of: address) == test.family else { return false }
            return (lists[name] ?? []).contains { $0.contains(address) } != negated
        default:
            // The checker only pairs conditions with fields of the matching type.
            return false
        }
    }

    private func family(of address: IPAddress) -> Packet.Family {
        address.isIPv4 ? .ipv4 : .ipv6
    }
}
