import MoatModel

/// The type of a rule-language field.
package enum FieldType: Hashable, Sendable, CustomStringConvertible {
    /// An IPv4 or IPv6 address: compared with `==`/`!=` against addresses or CIDRs, or `in`.
    case address
    /// An unsigned integer of `bits` bits; all comparison operators, `&`, `in` with ranges.
    case number(bits: Int)
    /// A flag: a bare predicate, or `== 0/1`, `== true/false`.
    case bool

    package var description: String {
        switch self {
        case .address: return "an IP address"
        case .number(let bits): return "a \(bits)-bit number"
        case .bool: return "a boolean"
        }
    }
}

/// What a packet must be for a field to be present. An absent field makes every test on it
/// false, `!=` included (Wireshark semantics); only `not` turns that into true. A present
/// but unreadable field (`FieldValue.unreadable`: bytes missing) is false under `not` too.
package enum FieldRequirement: Hashable, Sendable {
    /// Any valid IPv4 or IPv6 packet.
    case ip
    /// A packet of the family of the address compared with (`ip.src == 192.0.2.1` never
    /// matches IPv6); `in $list` tests each family separately.
    case addressFamily
    /// This transport protocol, and the transport header in this packet (not a later fragment).
    /// `family` restricts it to one IP family: `icmp.*` is ICMP in IPv4, `icmpv6.*` ICMPv6 in
    /// IPv6 (what nft's `icmp`/`icmpv6` imply in an `inet` table).
    case transport(UInt8, family: Packet.Family? = nil)
}

/// A value read from a packet.
package enum FieldValue: Hashable, Sendable {
    case number(UInt64)
    case address(IPAddress)
    case bool(Bool)
    /// The field is there but its bytes cannot be read: a transport header shorter than the
    /// field (a truncated or garbled packet), or an IPv6 extension chain that cannot be
    /// walked (`ip.proto`). Every test on it is false, and so is `not` of that test: see
    /// `Evaluator`.
    case unreadable
}

/// How a field maps to nftables (for an `inet` table).
enum NftMapping: Sendable {
    /// Address statements per family (`ip saddr`, `ip6 saddr`).
    case address(v4: String, v6: String)
    /// One or more loads; a packet matches when it matches through any of them.
    case number([NftLoad])
    /// The DNF for "set" and for "clear", for a packet where the field is present.
    case flag(set: NftDNF, clear: NftDNF)
}

/// A numeric nft load such as `tcp dport` or `ip6 length`.
struct NftLoad: Sendable {
    var expression: String
    var facts: NftFacts
    /// Subtracted from the rule's value before comparing (IPv6 `ip.len` = payload length + 40).
    var bias: UInt64 = 0
    /// Print values in hex (flag bytes read better that way).
    var hex = false
    /// `meta l4proto`: `==`/`!=` only assert or deny a protocol (prunable, see `NftFacts`).
    var isProtocol = false
    /// A bitmask type (`tcp flags`): nft reads a bare value as "any of these bits", so
    /// equality is written `==`, and sets hold single values (nft 1.0.6 crashes listing an
    /// anonymous set with a range on `tcp flags`).
    var bitmask = false
}

/// One row of the scheme: everything the checker, the evaluator and the compiler know about
/// a field. Adding a field is adding one row to `Scheme.fields`.
package struct Field: Sendable {
    package let name: String
    package let type: FieldType
    package let requirement: FieldRequirement
    /// Names accepted in place of numbers (`tcp` for 6).
    package let symbols: [String: UInt64]
    /// Whether `field & mask` is allowed.
    package let maskable: Bool
    /// Reads the field from a parsed packet; nil when absent.
    let read: @Sendable (Packet) -> FieldValue?
    let nft: NftMapping

    init(
        _ name: String, _ type: FieldType, requires requirement: FieldRequirement,
        symbols: [String: UInt64] = [:], maskable: Bool = true,
        read: @escaping @Sendable (Packet) -> FieldValue?, nft: NftMapping
    ) {
        self.name = name
        self.type = type
        self.requirement = requirement
        self.symbols = symbols
        self.maskable = maskable
        self.read = read
        self.nft = nft
    }

    /// The largest value of a number field.
    package var maximum: UInt64 {
        guard case .number(let bits) = type else { return 1 }
        return bits >= 64 ? .max : (1 << UInt64(bits)) - 1
    }
}
