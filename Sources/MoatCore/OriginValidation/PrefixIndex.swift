import MoatModel

/// Entries filed under a prefix, found by the prefixes that cover a given one. A lookup probes
/// one hash bucket per prefix length that occurs in the data (at most 33 for IPv4, 129 for IPv6),
/// so it costs the same for ten entries as for a full RPKI dump of half a million.
struct PrefixIndex<Entry: Hashable & Sendable>: Sendable {
    private var buckets: [CIDR: [Entry]] = [:]
    /// Which prefix lengths hold entries, per family (index = length).
    private var ipv4Lengths = [Bool](repeating: false, count: 33)
    private var ipv6Lengths = [Bool](repeating: false, count: 129)
    private(set) var count = 0
    private(set) var ipv4Count = 0

    init() {}

    init(_ entries: some Sequence<Entry>, prefix: (Entry) -> CIDR) {
        for entry in entries { insert(entry, at: prefix(entry)) }
    }

    var ipv6Count: Int { count - ipv4Count }
    var isEmpty: Bool { count == 0 }

    /// Files `entry` under `prefix`; an entry already filed there is not counted twice.
    mutating func insert(_ entry: Entry, at prefix: CIDR) {
        if buckets[prefix, default: []].contains(entry) { return }
        buckets[prefix, default: []].append(entry)
        count += 1
        if prefix.isIPv4 {
            ipv4Count += 1
            ipv4Lengths[prefix.length] = true
        } else {
            ipv6Lengths[prefix.length] = true
        }
    }

    /// The entries filed under exactly `prefix`.
    func exact(_ prefix: CIDR) -> [Entry] { buckets[prefix] ?? [] }

    /// The entries filed under `prefix` or any prefix that contains it, most specific first.
    func covering(_ prefix: CIDR) -> [Entry] {
        let lengths = prefix.isIPv4 ? ipv4Lengths : ipv6Lengths
        var found: [Entry] = []
        for length in stride(from: prefix.length, through: 0, by: -1) where lengths[length] {
            if let entries = buckets[prefix.supernet(length: length)] { found += entries }
        }
        return found
    }

    /// Every entry, in no particular order.
    var all: [Entry] { buckets.values.flatMap { $0 } }
}
