/// A constant set in a rule (`tcp dport { 22, 80 }`), declared once per table as a named set
/// that rules refer to (`tcp dport @c3`).
///
/// Why not nft's inline (anonymous) sets: the kernel names each one by scanning every set of
/// the table, and binds it by walking the whole transaction, so loading thousands of them is
/// quadratic (10,000 rules over 1,000 accounts took minutes). Named sets are deduplicated
/// across rules and accounts.
struct NftSetLiteral: Hashable, Sendable {
    /// The load the set is matched against, for `typeof` (`tcp dport`, `ip saddr`).
    var key: String
    /// Disjoint, sorted elements in nft syntax (`22`, `8000-8100`, `192.0.2.0/24`).
    var elements: [String]
    /// Elements are ranges or prefixes.
    var interval: Bool

    var inline: String { "{ " + elements.joined(separator: ", ") + " }" }
}

/// The sets shared by every account's chains in one table: constant sets by content, and the
/// per-source rate-limit sets.
package struct NftSharedSets: Sendable {
    /// Sources tracked per family, over all rate-limited rules (the kernel's hash starts at
    /// this size). When it is full, new sources pass that rule unlimited until entries expire.
    static let rateLimitSize = 262_144

    private var names: [NftSetLiteral: String] = [:]
    private var constants: [String] = []
    private var nextTag = 0

    package init() {}

    /// The name of `literal`'s set, declaring it on first use.
    mutating func name(for literal: NftSetLiteral) -> String {
        if let name = names[literal] { return name }
        let name = "c\(names.count)"
        names[literal] = name
        constants.append("set \(name) { typeof \(literal.key);\(literal.interval ? " flags interval;" : "") elements = \(literal.inline); }")
        return name
    }

    /// A number unique in the table for one rate-limited rule, the second half of its sets'
    /// key (`ip saddr . TAG`): one set per family serves every rule, each with its own buckets.
    mutating func rateLimitTag() -> Int {
        nextTag += 1
        return nextTag
    }

    static func rateLimitSet(_ family: Packet.Family) -> String {
        family == .ipv4 ? "rl_v4" : "rl_v6"
    }

    /// Declarations for inside the `table inet` block: the constant sets, and the rate-limit
    /// sets when a rule uses them.
    package var declarations: [String] {
        let rateLimits = nextTag == 0 ? [] : [(Packet.Family.ipv4, "ipv4_addr"), (.ipv6, "ipv6_addr")].map { family, type in
            "set \(Self.rateLimitSet(family)) { type \(type) . mark; size \(Self.rateLimitSize); flags dynamic,timeout; timeout 1m; }"
        }
        return rateLimits + constants
    }
}
