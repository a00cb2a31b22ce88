/// What an nft match statement implies about a packet, used to prune contradictory or
/// redundant conjunctions in the DNF (`tcp dport 22` with `meta l4proto != 6` never matches).
struct NftFacts: Hashable, Sendable {
    var family: Packet.Family?
    var notFamilies: Set<Packet.Family> = []
    var proto: UInt8?
    var notProtos: Set<UInt8> = []
    /// The protocol is one of these (`meta l4proto { 6, 17 }`); nil: no such constraint.
    var protos: Set<UInt8>?
    /// true: a later fragment; false: a first fragment or no fragment (transport readable).
    var laterFragment: Bool?
    /// IPv6: whether a Fragment header is present (`exthdr frag exists`/`missing`).
    var fragmentHeader: Bool?

    static let none = NftFacts()
    static let ipv4 = NftFacts(family: .ipv4)
    static let ipv6 = NftFacts(family: .ipv6)

    /// nft transport loads (`tcp dport`) imply the protocol (and `icmp`/`icmpv6` the family).
    /// They also need the transport header to be in this fragment, but nft does not check
    /// that (it reads a later fragment's payload): `NftTranslation` adds the guard.
    static func transport(_ proto: UInt8, family: Packet.Family? = nil) -> NftFacts {
        NftFacts(family: family, proto: proto, laterFragment: false)
    }

    /// Both sets of facts together, or nil when they contradict. Only IPv4 and IPv6 reach an
    /// `inet` chain, so denying both families is a contradiction.
    func merged(with other: NftFacts) -> NftFacts? {
        var result = self
        if let family = other.family {
            if let mine = result.family, mine != family { return nil }
            result.family = family
        }
        result.notFamilies.formUnion(other.notFamilies)
        if let family = result.family, result.notFamilies.contains(family) { return nil }
        if result.notFamilies.count == 2 { return nil }
        if let proto = other.proto {
            if let mine = result.proto, mine != proto { return nil }
            result.proto = proto
        }
        result.notProtos.formUnion(other.notProtos)
        if let proto = result.proto, result.notProtos.contains(proto) { return nil }
        if let protos = other.protos { result.protos = result.protos.map { $0.intersection(protos) } ?? protos }
        if let protos = result.protos {
            if protos.subtracting(result.notProtos).isEmpty { return nil }
            if let proto = result.proto, !protos.contains(proto) { return nil }
        }
        if let later = other.laterFragment {
            if let mine = result.laterFragment, mine != later { return nil }
            result.laterFragment = later
        }
        if let header = other.fragmentHeader {
            if let mine = result.fragmentHeader, mine != header { return nil }
            result.fragmentHeader = header
        }
        if result.fragmentHeader != nil && result.family == .ipv4 { return nil }
        // A later fragment has a Fragment header.
        if result.fragmentHeader == false && result.laterFragment == true && result.family == .ipv6 { return nil }
        return result
    }

    /// True when these facts already guarantee `other` (so a statement saying only `other` is redundant).
    func implies(_ other: NftFacts) -> Bool {
        if let family = other.family, self.family != family { return false }
        for denied in other.notFamilies where !(notFamilies.contains(denied) || (family != nil && family != denied)) {
            return false
        }
        if let proto = other.proto, self.proto != proto { return false }
        for denied in other.notProtos where !(notProtos.contains(denied) || (proto != nil && proto != denied)) {
            return false
        }
        if let protos = other.protos {
            let mine = proto.map { [$0] } ?? self.protos?.subtracting(notProtos)
            guard let mine, mine.isSubset(of: protos) else { return false }
        }
        if let later = other.laterFragment, laterFragment != later { return false }
        if let header = other.fragmentHeader, fragmentHeader != header { return false }
        return true
    }
}

/// One nft match statement (`tcp dport 22`) and what it implies.
struct NftAtom: Hashable, Sendable {
    /// The statement, with any constant set written inline.
    var text: String
    var facts: NftFacts
    /// A statement that only asserts its facts (`meta nfproto ipv6`, `meta l4proto != 6`):
    /// dropped when the rest of the conjunction implies them.
    var factOnly: Bool
    /// The constant set the statement ends with, and the text before it (`tcp dport != `).
    var literal: Literal?
    /// For an unmasked `!=` on a header field: the same test with a full-width mask
    /// (`tcp dport & 0xffff != 22`), which nft cannot fuse with a neighbour; see ``render(_:sets:)``.
    var unfused: String?

    struct Literal: Hashable, Sendable {
        var head: String
        var set: NftSetLiteral
    }

    init(_ text: String, _ facts: NftFacts = .none, factOnly: Bool = false) {
        self.text = text
        self.facts = facts
        self.factOnly = factOnly
    }

    /// `head` followed by `set`; a one-element set is written as the bare value.
    init(_ head: String, set: NftSetLiteral, _ facts: NftFacts = .none, factOnly: Bool = false) {
        if set.elements.count == 1 {
            self.init(head + set.elements[0], facts, factOnly: factOnly)
        } else {
            self.init(head + set.inline, facts, factOnly: factOnly)
            literal = Literal(head: head, set: set)
        }
    }

    /// The statement as it goes into the table: a constant set becomes a reference to its
    /// named set in `sets`.
    func rendered(_ sets: inout NftSharedSets) -> String {
        guard let literal else { return text }
        return literal.head + "@" + sets.name(for: literal.set)
    }

    /// A conjunction's statements as they go into the table. nft 1.0.6 fuses a run of `!=`
    /// tests on adjacent header fields into one comparison of the fields together:
    /// `icmpv6 type != 0 icmpv6 code != 3` becomes "(type, code) != (0, 3)", which holds for
    /// type 128 code 3. So every such test after the first is written with a full-width mask,
    /// which nft compares on its own.
    static func render(_ conjunction: [NftAtom], sets: inout NftSharedSets) -> [String] {
        var inequalities = 0
        return conjunction.map { atom in
            guard let unfused = atom.unfused else { return atom.rendered(&sets) }
            inequalities += 1
            return inequalities == 1 ? atom.rendered(&sets) : unfused
        }
    }

    static func family(_ family: Packet.Family) -> NftAtom {
        NftAtom("meta nfproto \(family.nftName)", NftFacts(family: family), factOnly: true)
    }

    static func notFamily(_ family: Packet.Family) -> NftAtom {
        NftAtom("meta nfproto != \(family.nftName)", NftFacts(notFamilies: [family]), factOnly: true)
    }

    /// The packet is not of `proto` (or not of `family`), or its transport header is not in
    /// this fragment: the complement of a transport field being present (for `not`).
    static func transportAbsent(_ proto: UInt8, family: Packet.Family? = nil) -> NftDNF {
        var dnf: NftDNF = [[NftAtom("meta l4proto != \(proto)", NftFacts(notProtos: [proto]), factOnly: true)]]
        if let family {
            dnf.append([notFamily(family)])
            dnf.append(laterFragment(family))
        } else {
            dnf.append(laterFragment(.ipv4))
            dnf.append(laterFragment(.ipv6))
        }
        return dnf
    }

    /// A later fragment (not the first): its transport header is not in this packet.
    static func laterFragment(_ family: Packet.Family) -> [NftAtom] {
        family == .ipv4
            ? [NftAtom("ip frag-off & 0x1fff != 0", NftFacts(family: .ipv4, laterFragment: true))]
            : [NftAtom("frag frag-off != 0", NftFacts(family: .ipv6, laterFragment: true, fragmentHeader: true))]
    }
}

extension Packet.Family {
    var nftName: String { self == .ipv4 ? "ipv4" : "ipv6" }
}

/// A disjunction of conjunctions of nft statements; `[]` is false, `[[]]` is true.
typealias NftDNF = [[NftAtom]]
