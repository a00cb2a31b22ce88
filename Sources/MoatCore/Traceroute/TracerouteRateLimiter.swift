import Foundation
import Synchronization

/// How many traceroutes an account may start: a token bucket per account, `burst` deep,
/// refilled by one token every `interval`. Time is passed in.
package struct TracerouteRateLimiter: Sendable {
    package var burst: Double
    package var interval: TimeInterval
    private var buckets: [String: (tokens: Double, at: Date)] = [:]

    /// 20 at once, then one every 3 s (20 a minute).
    package init(burst: Int = 20, interval: TimeInterval = 3) {
        self.burst = Double(burst)
        self.interval = interval
    }

    /// Takes a token; nil when granted, else how many seconds until the next one.
    package mutating func take(_ account: String, now: Date) -> TimeInterval? {
        var bucket = buckets[account] ?? (burst, now)
        let elapsed = max(0, now.timeIntervalSince(bucket.at))
        bucket.tokens = min(burst, bucket.tokens + elapsed / interval)
        bucket.at = now
        defer { buckets[account] = bucket }
        guard bucket.tokens >= 1 else { return (1 - bucket.tokens) * interval }
        bucket.tokens -= 1
        return nil
    }
}

/// The rate limiter core shares between requests.
package final class SharedTracerouteLimiter: Sendable {
    private let limiter: Mutex<TracerouteRateLimiter>

    package init(_ limiter: TracerouteRateLimiter = TracerouteRateLimiter()) {
        self.limiter = Mutex(limiter)
    }

    package func take(_ account: String, now: Date) -> TimeInterval? {
        limiter.withLock { $0.take(account, now: now) }
    }
}
