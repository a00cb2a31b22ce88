/// A hash that is the same in every process and every run (FNV-1a, 64 bit, then SplitMix64's
/// finaliser so that every input bit reaches every output bit). Unlike Swift's `Hasher`, which
/// is seeded per process, it can decide placements that edges and restarts must agree on.
public struct StableHash: Sendable {
    public private(set) var state: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    @inline(__always)
    public mutating func add(_ byte: UInt8) {
        state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    public mutating func add(_ text: String) {
        for byte in text.utf8 { add(byte) }
    }

    public var value: UInt64 { Self.finalize(state) }

    /// SplitMix64's finaliser.
    @inline(__always)
    public static func finalize(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    public static func of(_ text: String) -> UInt64 {
        var hash = StableHash()
        hash.add(text)
        return hash.value
    }
}
