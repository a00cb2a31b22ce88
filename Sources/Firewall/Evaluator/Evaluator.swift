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
    ///
    /// Semantics of `not`: it is pushed down to the tests (De Morgan), as the nftables
    /// compiler does, and a negated test is true when the field is absent or present with
    /// the condition false. An *unreadable* field (`FieldValue.unreadable`: the packet is of
    /// the field's protocol, not a later fragment, but the bytes are missing, e.g. a UDP
    /// header cut short) makes the test false in both polarities: the kernel cannot load the
    /// bytes, so neither `udp sport < 22` nor `udp sport >= 22` matches, and nft cannot
    /// test "header too short" to write the negation otherwise. This is Kleene's
    /// three-valued logic with "unknown" not matching; for readable packets it is plain
    /// boolean logic.
    package func matches(_ expression: CheckedExpression, packet: Packet?) -> Bool {
        matches(expression, packet: packet, negated: false)
    }

    private func matches(_ expression: CheckedExpression, packet: Packet?, negated: Bool) -> Bool {
        switch (expression, negated) {
        case (.test(let test), _):
            guard let packet else { return negated }
            return matches(test, packet: packet, negated: negated)
        case (.not(let operand), _):
            return matches(operand, packet: packet, negated: !negated)
        case (.and(let lhs, let rhs), false), (.or(let lhs, let rhs), true):
            return matches(lhs, packet: packet, negated: negated) && matches(rhs, packet: packet, negated: negated)
        case (.or(let lhs, let rhs), false), (.and(let lhs, let rhs), true):
            return matches(lhs, packet: packet, negated: negated) || matches(rhs, packet: packet, negated: negated)
        }
    }

    /// A test on an absent field is false (so its negation is true); on an unreadable one
    /// both the test and its negation are false.
    func matches(_ test: CheckedTest, packet: Packet, negated: Bool) -> Bool {
        guard let value = test.row.read(packet) else { return negated }
        if value == .unreadable { return false }
        return matches(test, packet: packet) != negated
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
