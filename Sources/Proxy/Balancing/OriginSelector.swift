import MoatModel

#if canImport(Glibc)
import Glibc
#endif

/// Picks the origin for a new connection or UDP session among the healthy ones (all of them
/// when none is healthy, so a wrong health verdict cannot take an app down by itself). Pure
/// apart from the random source, which is injected.
package struct OriginSelector: Sendable {
    package let mode: SpectrumApp.LoadBalancing
    package private(set) var weights: [Int]
    private var next = 0
    /// Current connections per origin, for least connections and power of two choices.
    package private(set) var active: [Int]

    package init(mode: SpectrumApp.LoadBalancing, weights: [Int]) {
        self.mode = mode
        self.weights = weights.map { max(1, $0) }
        active = Array(repeating: 0, count: weights.count)
    }

    /// The origins to try, best first: the pick, then the other healthy ones, then the rest
    /// (a failed connect moves on to the next).
    package mutating func order(client: IPAddress, healthy: [Bool], random: inout some RandomNumberGenerator) -> [Int] {
        let count = weights.count
        guard count > 0 else { return [] }
        let candidates = (0..<count).filter { healthy[$0] }
        let pool = candidates.isEmpty ? Array(0..<count) : candidates
        let first: Int
        switch mode {
        case .roundRobin:
            // Weighted round robin over the slots: origin i owns weights[i] consecutive slots.
            let slots = pool.reduce(0) { $0 + weights[$1] }
            var slot = next % slots
            next = (next + 1) % max(1, slots * 1_000)
            var chosen = pool[0]
            for index in pool {
                if slot < weights[index] { chosen = index; break }
                slot -= weights[index]
            }
            first = chosen
        case .leastConnections:
            first = pool.min { Double(active[$0]) / Double(weights[$0]) < Double(active[$1]) / Double(weights[$1]) }!
        case .hash:
            // Rendezvous hashing of the client address: the same client keeps its origin, and
            // only the clients of an origin that leaves move.
            let key = "\(client)"
            first = pool.max { Self.score(key, $0, weights[$0]) < Self.score(key, $1, weights[$1]) }!
        case .randomTwo:
            let a = pool[Int.random(in: 0..<pool.count, using: &random)]
            let b = pool[Int.random(in: 0..<pool.count, using: &random)]
            first = Double(active[a]) / Double(weights[a]) <= Double(active[b]) / Double(weights[b]) ? a : b
        }
        return [first] + pool.filter { $0 != first } + (0..<count).filter { !pool.contains($0) }
    }

    package mutating func opened(_ index: Int) { if active.indices.contains(index) { active[index] += 1 } }
    package mutating func closed(_ index: Int) { if active.indices.contains(index) { active[index] = max(0, active[index] - 1) } }

    static func score(_ key: String, _ index: Int, _ weight: Int) -> Double {
        var hash = StableHash()
        hash.add(key)
        hash.add("#\(index)")
        let unit = Double(hash.value >> 11) / Double(1 << 53)
        // Weighted rendezvous: -w / ln(u) (Schindelhauer & Schomaker).
        return -Double(weight) / log(max(unit, .leastNonzeroMagnitude))
    }
}
