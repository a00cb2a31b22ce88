/// Packets and bytes over the last second, in ten 100 ms buckets: a sliding window that costs
/// the same whatever the rate.
struct RateWindow: Sendable {
    static let buckets = 10
    static let bucketSeconds = 0.1
    static var seconds: Double { Double(buckets) * bucketSeconds }

    private var packets = [UInt64](repeating: 0, count: Self.buckets)
    private var bytes = [UInt64](repeating: 0, count: Self.buckets)
    private var samples = [UInt32](repeating: 0, count: Self.buckets)
    /// The bucket number (time / bucketSeconds) the newest bucket stands for.
    private var newest: Int64 = 0

    init(now: Double) {
        newest = Self.bucketNumber(now)
    }

    static func bucketNumber(_ time: Double) -> Int64 { Int64((time / bucketSeconds).rounded(.down)) }

    /// Moves the window to `now`, emptying the buckets it passed.
    mutating func advance(to now: Double) {
        let number = Self.bucketNumber(now)
        guard number > newest else { return }
        let steps = min(Int(number - newest), Self.buckets)
        for step in 1...steps {
            let index = Int((newest + Int64(step)) % Int64(Self.buckets))
            packets[index] = 0
            bytes[index] = 0
            samples[index] = 0
        }
        newest = number
    }

    /// One sample standing for `weight` packets of `length` bytes.
    mutating func add(length: Int, weight: Int, at now: Double) {
        advance(to: now)
        let index = Int(newest % Int64(Self.buckets))
        packets[index] &+= UInt64(weight)
        bytes[index] &+= UInt64(length * weight)
        samples[index] &+= 1
    }

    var packetsPerSecond: Double { Double(packets.reduce(0, +)) / Self.seconds }
    var bitsPerSecond: Double { Double(bytes.reduce(0, +)) * 8 / Self.seconds }
    var sampleCount: Int { Int(samples.reduce(0, +)) }
}
