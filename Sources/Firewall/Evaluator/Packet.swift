import MoatModel

/// The parts of a raw IPv4 or IPv6 packet (starting at the IP header) that rules can read.
///
/// Parsing never traps. Bytes that are not a valid IP header give `nil` from `init(bytes:)`,
/// and then no field is present (every test is false, `not` of a test is true). A valid
/// header followed by a short or garbled transport part keeps its IP fields; a transport
/// field whose own bytes are not all there is unreadable (`FieldValue.unreadable`): nft's
/// payload load fails, so the kernel matches neither the test nor its negation.
package struct Packet: Sendable {
    package enum Family: Hashable, Sendable { case ipv4, ipv6 }

    private let bytes: [UInt8]
    package let family: Family
    package let source: IPAddress
    package let destination: IPAddress
    /// IPv4 total length; IPv6 payload length + 40 (the whole packet, like IPv4).
    package let totalLength: UInt64
    /// IPv4 TTL or IPv6 hop limit.
    package let hopLimit: UInt64
    /// IPv4: MF set or offset non-zero. IPv6: a Fragment extension header is present.
    package let isFragment: Bool
    /// A fragment other than the first: its transport header is not here.
    package let isLaterFragment: Bool
    /// The transport protocol after IPv6 extension headers; nil when the chain is truncated.
    package let transportProtocol: UInt8?
    private let transportOffset: Int
    /// Where the packet ends: the declared length, or the captured bytes if fewer.
    private let end: Int

    /// Extension headers skipped on the way to the transport header (RFC 8200 §4). The
    /// Authentication Header (51) is not skipped: like the kernel's `ipv6_find_hdr()` with
    /// `IP6_FH_F_AUTH` (what nft's `meta l4proto` uses), the walk stops there and the
    /// protocol is 51.
    private static let ipv6ExtensionHeaders: Set<UInt8> = [0, 43, 60]
    /// What the kernel counts as an extension header after a later fragment's Fragment
    /// header (`ipv6_ext_hdr()`, AH included): then it finds no protocol at all.
    private static let ipv6ExtensionHeadersAfterFragment: Set<UInt8> = [0, 43, 60, 51, 44]

    package init?(bytes: [UInt8]) {
        guard let first = bytes.first else { return nil }
        self.bytes = bytes
        switch first >> 4 {
        case 4:
            let headerLength = Int(first & 0x0F) * 4
            guard headerLength >= 20, bytes.count >= headerLength else { return nil }
            let declared = Int(Self.read(bytes, 2, 2))
            guard declared >= headerLength else { return nil }
            family = .ipv4
            source = .v4(UInt32(Self.read(bytes, 12, 4)))
            destination = .v4(UInt32(Self.read(bytes, 16, 4)))
            totalLength = UInt64(declared)
            hopLimit = Self.read(bytes, 8, 1)
            let fragment = Self.read(bytes, 6, 2)
            isFragment = fragment & 0x3FFF != 0
            isLaterFragment = fragment & 0x1FFF != 0
            transportProtocol = UInt8(Self.read(bytes, 9, 1))
            transportOffset = headerLength
            end = min(bytes.count, declared)
        case 6:
            guard bytes.count >= 40 else { return nil }
            family = .ipv6
            source = .v6(bytes[8..<24].reduce(UInt128(0)) { $0 << 8 | UInt128($1) })
            destination = .v6(bytes[24..<40].reduce(UInt128(0)) { $0 << 8 | UInt128($1) })
            let payload = Int(Self.read(bytes, 4, 2))
            totalLength = UInt64(payload) + 40
            hopLimit = Self.read(bytes, 7, 1)
            end = payload == 0 ? bytes.count : min(bytes.count, payload + 40)
            var next = UInt8(Self.read(bytes, 6, 1))
            var offset = 40
            var fragment = false
            var later = false
            // The protocol and where its header starts: the first header that is not an
            // extension header, or an Authentication Header (see `ipv6ExtensionHeaders`).
            var found: (proto: UInt8, offset: Int)?
            // Bounded walk, like the kernel's ipv6_find_hdr(). It goes on past an AH (which
            // is the protocol) to find a Fragment header: nft's `exthdr frag` does too.
            for _ in 0..<16 {
                if next == 44 {
                    guard offset + 8 <= end else { break }
                    fragment = true
                    later = Self.read(bytes, offset + 2, 2) & 0xFFF8 != 0
                    next = bytes[offset]
                    offset += 8
                    if later {
                        if found == nil && !Self.ipv6ExtensionHeadersAfterFragment.contains(next) { found = (next, offset) }
                        break
                    }
                } else if next == 51 {
                    if found == nil { found = (51, offset) }
                    guard offset + 2 <= end else { break }
                    let length = (Int(bytes[offset + 1]) + 2) * 4
                    next = bytes[offset]
                    offset += length
                } else if Self.ipv6ExtensionHeaders.contains(next) {
                    guard offset + 2 <= end else { break }
                    let length = (Int(bytes[offset + 1]) + 1) * 8
                    next = bytes[offset]
                    offset += length
                } else {
                    if found == nil { found = (next, offset) }
                    break
                }
            }
            isFragment = fragment
            isLaterFragment = later
            transportProtocol = found?.proto
            transportOffset = found?.offset ?? offset
        default:
            return nil
        }
    }

    /// `width` bytes at `offset` into the transport header, big-endian, if the packet is of
    /// `proto`, is not a later fragment, and holds those bytes.
    package func transport(_ proto: UInt8, offset: Int, width: Int) -> UInt64? {
        guard transportProtocol == proto, !isLaterFragment else { return nil }
        let start = transportOffset + offset
        guard start >= 0, start + width <= end else { return nil }
        return Self.read(bytes, start, width)
    }

    /// A transport field as the rule language sees it: nil (absent) when the packet is not of
    /// `proto` (or not of `family`) or is a later fragment; `.unreadable` when it is but the
    /// field's bytes are not all in the packet (or the IPv6 chain could not be walked).
    func transportField(_ proto: UInt8, family: Family? = nil, offset: Int, width: Int,
                        _ value: (UInt64) -> FieldValue) -> FieldValue? {
        if let family, family != self.family { return nil }
        if isLaterFragment { return nil }
        guard let transportProtocol else { return .unreadable }
        guard transportProtocol == proto else { return nil }
        let start = transportOffset + offset
        guard start >= 0, start + width <= end else { return .unreadable }
        return value(Self.read(bytes, start, width))
    }

    private static func read(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> UInt64 {
        bytes[offset..<(offset + width)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
}
