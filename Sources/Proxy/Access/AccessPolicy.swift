import Foundation
import MoatModel

/// Who may open a connection or session: the app's ordered IP rules (first match decides,
/// default allow), then the per-source limits on concurrent and new connections. Memory is
/// bounded: at most `maxSources` sources are tracked, and idle ones are forgotten first.
package struct AccessPolicy: Sendable {
    package enum Verdict: Equatable, Sendable {
        case allow
        /// An IP rule blocks the client.
        case blocked
        /// The client has too many connections, or opens them too fast.
        case overLimit
    }

    private struct Source {
        var connections = 0
        var tokens: Double
        var refilled: ContinuousClock.Instant
    }

    package var rules: [SpectrumApp.IPRule]
    package var limits: SpectrumApp.SourceLimits
    package let maxSources: Int
    private var sources: [IPAddress: Source] = [:]
    package private(set) var refused = 0

    package init(rules: [SpectrumApp.IPRule], limits: SpectrumApp.SourceLimits, maxSources: Int = 100_000) {
        self.rules = rules
        self.limits = limits
        self.maxSources = maxSources
    }

    package func ruleVerdict(_ client: IPAddress) -> Verdict {
        for rule in rules where rule.cidr.contains(client) { return rule.action == .allow ? .allow : .blocked }
        return .allow
    }

    /// Admits a new connection from `client` at `now`, counting it when allowed.
    package mutating func admit(_ client: IPAddress, at now: ContinuousClock.Instant) -> Verdict {
        let verdict = ruleVerdict(client)
        guard verdict == .allow else { return verdict }
        guard limits.maxConnections != nil || limits.newConnectionsPerSecond != nil else { return .allow }
        let rate = Double(limits.newConnectionsPerSecond ?? 0)
        var source = sources[client] ?? Source(tokens: rate, refilled: now)
        if rate > 0 {
            let elapsed = Double((now - source.refilled).components.attoseconds) / 1e18 + Double((now - source.refilled).components.seconds)
            source.tokens = min(rate, source.tokens + elapsed * rate)
            source.refilled = now
        }
        if let most = limits.maxConnections, source.connections >= most { refused += 1; return .overLimit }
        if rate > 0 {
            guard source.tokens >= 1 else { refused += 1; sources[client] = source; return .overLimit }
            source.tokens -= 1
        }
        source.connections += 1
        if sources[client] == nil && sources.count >= maxSources { evict(now) }
        sources[client] = source
        return .allow
    }

    /// A connection admitted for `client` ended.
    package mutating func release(_ client: IPAddress) {
        guard var source = sources[client] else { return }
        source.connections = max(0, source.connections - 1)
        sources[client] = source
    }

    package var trackedSources: Int { sources.count }

    /// Forgets the sources without connections whose bucket is full, or else the oldest.
    private mutating func evict(_ now: ContinuousClock.Instant) {
        let rate = Double(limits.newConnectionsPerSecond ?? 0)
        let idle = sources.filter { $0.value.connections == 0 && (rate == 0 || now - $0.value.refilled > .seconds(1)) }.map(\.key)
        if !idle.isEmpty {
            for key in idle.prefix(max(1, maxSources / 10)) { sources[key] = nil }
        } else if let oldest = sources.min(by: { $0.value.refilled < $1.value.refilled })?.key {
            sources[oldest] = nil
        }
    }
}
