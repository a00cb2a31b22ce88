import Foundation
import MoatModel
import Testing
@testable import Tunnels

@Suite struct ForwardingTableTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func tunnel(_ id: String, customer: String, inside: String) -> Tunnel {
        Tunnel(id: id, accountID: "acc", spec: TunnelSpec(name: id, customerEndpoint: IPAddress(customer)!,
                                                          moatEndpoint: IPAddress("198.51.100.1")!, interfaceAddress: CIDR(inside)!), at: now)
    }

    static func route(_ id: String, _ prefix: String, tunnel: String, priority: Int, weight: Int = 100) -> Route {
        Route(id: id, accountID: "acc", spec: RouteSpec(prefix: CIDR(prefix)!, nexthop: IPAddress("10.0.0.1")!, priority: priority, weight: weight),
              tunnelID: tunnel, at: now)
    }

    static let tunnels = [tunnel("t1", customer: "192.0.2.1", inside: "10.100.0.0/31"),
                          tunnel("t2", customer: "192.0.2.2", inside: "10.100.0.2/31")]

    @Test func longestPrefixThenLowestEffectivePriority() {
        let table = ForwardingTable(tunnels: Self.tunnels, routes: [
            Self.route("r1", "203.0.113.0/24", tunnel: "t1", priority: 100),
            Self.route("r2", "203.0.113.0/24", tunnel: "t2", priority: 200),
            Self.route("r3", "203.0.113.128/25", tunnel: "t2", priority: 300),
            Self.route("r4", "2001:db8::/32", tunnel: "t2", priority: 1),
        ])
        let t1 = table.endpoints.firstIndex { $0.tunnelID == "t1" }!
        let t2 = table.endpoints.firstIndex { $0.tunnelID == "t2" }!
        #expect(table.select(v4: 0xcb00_710a, flow: 1, penalties: [0, 0]) == t1)
        #expect(table.select(v4: 0xcb00_718a, flow: 1, penalties: [0, 0]) == t2) // the /25
        #expect(table.select(v4: 0x0808_0808, flow: 1, penalties: [0, 0]) == nil)
        #expect(table.select(v6: UInt128(0x2001_0db8) << 96 | 5, flow: 1, penalties: [0, 0]) == t2)
        // t1 degraded: 100 + 500,000 > 200.
        var penalties = [0, 0]
        penalties[t1] = TunnelState.degraded.penalty
        #expect(table.select(v4: 0xcb00_710a, flow: 1, penalties: penalties) == t2)
        // Both down: still the better of the two, never no route.
        penalties[t2] = TunnelState.down.penalty
        penalties[t1] = TunnelState.down.penalty
        #expect(table.select(v4: 0xcb00_710a, flow: 1, penalties: penalties) == t1)
        #expect(table.tunnel(outerSource: 0xc000_0202, outerDestination: 0xc633_6401) == t2)
        #expect(table.tunnel(outerSource: 0xc000_0202, outerDestination: 0xc633_6402) == nil)
        #expect(table.prefixes.map(\.description) == ["203.0.113.0/24", "203.0.113.128/25", "2001:db8::/32"])
    }

    @Test func equalPrioritiesShareFlowsByWeight() {
        let table = ForwardingTable(tunnels: Self.tunnels, routes: [
            Self.route("r1", "203.0.113.0/24", tunnel: "t1", priority: 100, weight: 1),
            Self.route("r2", "203.0.113.0/24", tunnel: "t2", priority: 100, weight: 3),
        ])
        let t2 = table.endpoints.firstIndex { $0.tunnelID == "t2" }!
        var onT2 = 0
        let flows = 20_000
        for port in 0..<flows {
            var packet = GREPacketTests.innerUDP
            packet.withUnsafeMutableBytes { $0.put16(UInt16(10_000 + port), at: 20) }
            let flow = packet.withUnsafeBytes { FlowHash.of($0) }
            let chosen = table.select(v4: 0xcb00_710a, flow: flow, penalties: [0, 0])
            #expect(chosen == table.select(v4: 0xcb00_710a, flow: flow, penalties: [0, 0])) // a flow stays
            if chosen == t2 { onT2 += 1 }
        }
        let share = Double(onT2) / Double(flows)
        #expect(abs(share - 0.75) < 0.02, "t2 carries \(share)")
    }

    /// When one of three equal tunnels goes down, only its flows move; the others stay put,
    /// and they come back to exactly where they were when it recovers.
    @Test func aTunnelLeavingTheTieMovesOnlyItsOwnFlows() {
        let tunnels = Self.tunnels + [Self.tunnel("t3", customer: "192.0.2.3", inside: "10.100.0.4/31")]
        let table = ForwardingTable(tunnels: tunnels, routes: [
            Self.route("r1", "203.0.113.0/24", tunnel: "t1", priority: 100),
            Self.route("r2", "203.0.113.0/24", tunnel: "t2", priority: 100),
            Self.route("r3", "203.0.113.0/24", tunnel: "t3", priority: 100),
        ])
        let t3 = table.endpoints.firstIndex { $0.tunnelID == "t3" }!
        var down = [0, 0, 0]
        down[t3] = TunnelState.down.penalty
        var moved = 0
        var counts = [0, 0, 0]
        for flow in (0..<9_000).map({ UInt64($0) &* 0x9e37_79b9_7f4a_7c15 }) {
            let before = table.select(v4: 0xcb00_710a, flow: flow, penalties: [0, 0, 0])!
            let after = table.select(v4: 0xcb00_710a, flow: flow, penalties: down)!
            counts[before] += 1
            if before != t3 { #expect(after == before) } else { moved += 1; #expect(after != t3) }
        }
        #expect(counts.allSatisfy { abs($0 - 3_000) < 250 }, "\(counts)")
        #expect(moved == counts[t3])
    }
}
