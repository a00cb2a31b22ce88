import MoatModel

/// Which servers of a location announce which prefixes, when the location's router accepts at
/// most `limit` prefixes from each server (DESIGN.md "BGP").
///
/// Every prefix goes to `copies` servers (2 by default, so one server can fail), no server gets
/// more than `limit`, and the choice is rendezvous hashing (highest random weight) with
/// capacities: each prefix ranks the servers by a hash of (prefix, server) and takes the best
/// ones that still have room. Adding or removing one of S servers therefore moves about 1/S of
/// the assignments, not all of them. Pure and deterministic: every edge of a location computes
/// the same answer from the same inputs.
public struct PrefixAssignment: Equatable, Sendable {
    /// Server → the prefixes it announces.
    public private(set) var byServer: [String: [String]]

    public struct Infeasible: Error, Equatable, CustomStringConvertible, Sendable {
        public var prefixes: Int
        public var servers: Int
        public var limit: Int
        public var copies: Int
        public var description: String {
            if servers < copies {
                return "\(servers) server(s) cannot announce each prefix from \(copies) servers"
            }
            return "\(prefixes) prefixes × \(copies) copies = \(prefixes * copies) announcements do not fit in \(servers) servers × \(limit) = \(servers * limit)"
        }
    }

    /// - Parameters:
    ///   - prefixes: the prefixes to announce (any stable text form, e.g. "203.0.113.0/24").
    ///   - servers: the location's servers (their edge IDs).
    ///   - limit: the most prefixes the router takes from one server; nil for no limit.
    ///   - copies: how many servers announce each prefix.
    public init(prefixes: [String], servers: [String], limit: Int?, copies: Int = 2) throws(Infeasible) {
        let servers = Array(Set(servers)).sorted()
        let prefixes = Array(Set(prefixes)).sorted()
        let wanted = min(copies, servers.count)
        guard servers.count >= copies || prefixes.isEmpty,
              limit.map({ prefixes.count * copies <= servers.count * $0 }) ?? true else {
            throw Infeasible(prefixes: prefixes.count, servers: servers.count, limit: limit ?? 0, copies: copies)
        }
        var load = [String: Int](uniqueKeysWithValues: servers.map { ($0, 0) })
        var byServer = [String: [String]](uniqueKeysWithValues: servers.map { ($0, []) })
        // Prefixes with the fewest good choices first would pack tighter; a fixed order keeps
        // the answer stable, which matters more: it is the order of each prefix's own hash.
        let order = prefixes.sorted { Self.hash($0, "") < Self.hash($1, "") }
        var remaining = order.count
        for prefix in order {
            let ranked = servers.sorted { Self.hash(prefix, $0) > Self.hash(prefix, $1) }
            // Room to spare for the prefixes after this one: a server with more room than
            // there are prefixes left costs nothing to use; one with less costs one unit of slack.
            // Spending slack only while some is left keeps the rest feasible (every later prefix
            // still finds `wanted` distinct servers), so a feasible request never fails.
            let later = remaining - 1
            var slack = limit.map { limit in servers.reduce(0) { $0 + min(limit - load[$1]!, later) } - later * wanted } ?? Int.max
            var taken = 0
            for server in ranked where taken < wanted {
                var costsSlack = false
                if let limit {
                    let room = limit - load[server]!
                    guard room > 0 else { continue }
                    costsSlack = room <= later
                    if costsSlack && slack <= 0 { continue }
                }
                if costsSlack { slack -= 1 }
                load[server]! += 1
                byServer[server]!.append(prefix)
                taken += 1
            }
            if taken < wanted {
                throw Infeasible(prefixes: prefixes.count, servers: servers.count, limit: limit ?? 0, copies: copies)
            }
            remaining -= 1
        }
        self.byServer = byServer.mapValues { $0.sorted() }
    }

    /// The servers that announce `prefix`.
    public func servers(for prefix: String) -> [String] {
        byServer.filter { $0.value.contains(prefix) }.map(\.key).sorted()
    }

    /// ``StableHash`` of both strings with a separator: the same in every process.
    static func hash(_ prefix: String, _ server: String) -> UInt64 {
        var hash = StableHash()
        hash.add(prefix)
        hash.add(0xff)
        hash.add(server)
        return hash.value
    }
}
