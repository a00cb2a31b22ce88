import Foundation
import MoatModel

/// Which tunnel carries a packet (DESIGN.md "Tunnels and health checks").
///
/// The longest prefix with routes decides; among its routes the lowest effective priority
/// (priority plus the tunnel's health penalty) wins; routes tied on that share flows by
/// weight with weighted rendezvous hashing of the flow hash and the tunnel: a flow stays on
/// its tunnel, and when one tunnel leaves the tie (or joins it) only its own flows move. Unhealthy
/// tunnels are penalised, never removed: with every tunnel down, traffic still takes the best.
package struct ForwardingTable: Sendable {
    /// A tunnel as the data path needs it.
    package struct Endpoint: Equatable, Sendable {
        package var tunnelID: String
        package var name: String
        package var moatEndpoint: UInt32
        package var customerEndpoint: UInt32
        package var ttl: UInt8
        package var mtu: Int
        /// A stable hash of the tunnel's ID, mixed with the flow hash to rank tunnels.
        var seed: UInt64 = 0
    }

    struct Candidate: Sendable {
        var tunnel: Int
        var priority: Int
        var weight: Int
    }

    package private(set) var endpoints: [Endpoint]
    /// Per prefix length (index = length), prefix → candidate routes. IPv4 and IPv6 apart.
    private var v4: [[UInt32: [Candidate]]]
    private var v6: [[UInt128: [Candidate]]]
    private var v4Lengths: [Int]
    private var v6Lengths: [Int]
    private var byOuter: [UInt64: Int]

    /// Builds the table; routes whose tunnel is unknown or whose tunnel has IPv6 endpoints are left out.
    package init(tunnels: [Tunnel], routes: [Route]) {
        var endpoints: [Endpoint] = []
        var index: [String: Int] = [:]
        for tunnel in tunnels.sorted(by: { $0.id < $1.id }) {
            guard case .v4(let moat) = tunnel.moatEndpoint, case .v4(let customer) = tunnel.customerEndpoint else { continue }
            index[tunnel.id] = endpoints.count
            endpoints.append(Endpoint(tunnelID: tunnel.id, name: tunnel.name, moatEndpoint: moat, customerEndpoint: customer,
                                      ttl: UInt8(clamping: tunnel.ttl), mtu: tunnel.mtu, seed: Self.seed(tunnel.id)))
        }
        var v4 = [[UInt32: [Candidate]]](repeating: [:], count: 33)
        var v6 = [[UInt128: [Candidate]]](repeating: [:], count: 129)
        for route in routes.sorted(by: { $0.id < $1.id }) {
            guard let tunnel = index[route.tunnelID] else { continue }
            let candidate = Candidate(tunnel: tunnel, priority: route.priority, weight: max(1, route.weight))
            switch route.prefix.address {
            case .v4(let address): v4[route.prefix.length][Self.mask(address, route.prefix.length), default: []].append(candidate)
            case .v6(let address): v6[route.prefix.length][Self.mask(address, route.prefix.length), default: []].append(candidate)
            }
        }
        self.endpoints = endpoints
        self.v4 = v4
        self.v6 = v6
        v4Lengths = (0...32).reversed().filter { !v4[$0].isEmpty }
        v6Lengths = (0...128).reversed().filter { !v6[$0].isEmpty }
        byOuter = [:]
        for (position, endpoint) in endpoints.enumerated() {
            byOuter[Self.outerKey(source: endpoint.customerEndpoint, destination: endpoint.moatEndpoint)] = position
        }
    }

    /// The tunnel (index into `endpoints`) for a packet to `destination` with flow hash `flow`,
    /// given each tunnel's health penalty; nil when no route covers the destination.
    package func select(v4 destination: UInt32, flow: UInt64, penalties: [Int]) -> Int? {
        for length in v4Lengths {
            if let candidates = v4[length][Self.mask(destination, length)] { return pick(candidates, flow: flow, penalties: penalties) }
        }
        return nil
    }

    package func select(v6 destination: UInt128, flow: UInt64, penalties: [Int]) -> Int? {
        for length in v6Lengths {
            if let candidates = v6[length][Self.mask(destination, length)] { return pick(candidates, flow: flow, penalties: penalties) }
        }
        return nil
    }

    /// The tunnel whose customer and Moat endpoints are a received packet's outer source and destination.
    package func tunnel(outerSource: UInt32, outerDestination: UInt32) -> Int? {
        byOuter[Self.outerKey(source: outerSource, destination: outerDestination)]
    }

    /// Every prefix that has a route, for the kernel's routing table.
    package var prefixes: [CIDR] {
        var result: [CIDR] = []
        for length in v4Lengths { for key in v4[length].keys { if let cidr = try? CIDR(address: .v4(key), length: length) { result.append(cidr) } } }
        for length in v6Lengths { for key in v6[length].keys { if let cidr = try? CIDR(address: .v6(key), length: length) { result.append(cidr) } } }
        return result.sorted()
    }

    func pick(_ candidates: [Candidate], flow: UInt64, penalties: [Int]) -> Int {
        var best = Int.max
        for candidate in candidates {
            best = min(best, candidate.priority + (candidate.tunnel < penalties.count ? penalties[candidate.tunnel] : 0))
        }
        var chosen = candidates[0].tunnel
        var top = -Double.infinity
        for candidate in candidates {
            let effective = candidate.priority + (candidate.tunnel < penalties.count ? penalties[candidate.tunnel] : 0)
            guard effective == best else { continue }
            // Weighted rendezvous: score = weight / -ln(u), u uniform in (0, 1) from (flow, tunnel).
            let mixed = Self.mix(flow ^ endpoints[candidate.tunnel].seed)
            let uniform = (Double(mixed >> 11) + 0.5) / Double(1 << 53)
            let score = Double(candidate.weight) / -log(uniform)
            if score > top || (score == top && candidate.tunnel < chosen) {
                top = score
                chosen = candidate.tunnel
            }
        }
        return chosen
    }

    static func seed(_ id: String) -> UInt64 { StableHash.of(id) }

    static func mix(_ value: UInt64) -> UInt64 { StableHash.finalize(value &+ 0x9e37_79b9_7f4a_7c15) }

    static func mask(_ address: UInt32, _ length: Int) -> UInt32 {
        length == 0 ? 0 : address & ~UInt32(0) << (32 - length)
    }

    static func mask(_ address: UInt128, _ length: Int) -> UInt128 {
        length == 0 ? 0 : address & ~UInt128(0) << (128 - length)
    }

    static func outerKey(source: UInt32, destination: UInt32) -> UInt64 { UInt64(source) << 32 | UInt64(destination) }
}
