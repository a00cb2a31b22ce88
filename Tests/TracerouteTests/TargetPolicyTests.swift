import Foundation
import MoatModel
import Testing

/// Only the account's own addresses may be traced.
@Suite struct TargetPolicyTests {
    @Test func allowsApprovedPrefixesAndTunnelEndpointsOnly() throws {
        let date = Date(timeIntervalSince1970: 0)
        let approved = Prefix(accountID: "acc_1", spec: PrefixSpec(cidr: CIDR("203.0.113.0/24")!), status: .approved, at: date)
        let pending = Prefix(accountID: "acc_1", spec: PrefixSpec(cidr: CIDR("192.0.2.0/24")!), status: .pending, at: date)
        let tunnel = Tunnel(accountID: "acc_1", spec: TunnelSpec(name: "gre1", customerEndpoint: IPAddress("198.51.100.1")!,
                                                                 moatEndpoint: IPAddress("192.0.2.200")!, interfaceAddress: CIDR("10.9.0.0/31")!), at: date)
        let policy = TracerouteTargetPolicy(prefixes: [approved, pending], tunnels: [tunnel])
        let cases: [(String, Bool)] = [
            ("203.0.113.0", true), ("203.0.113.255", true), ("203.0.114.0", false),
            ("192.0.2.10", false), // pending prefixes are not yet the account's
            ("198.51.100.1", true), ("198.51.100.2", false), // the endpoint, not its neighbours
            ("8.8.8.8", false), ("2001:db8::1", false),
        ]
        for (address, allowed) in cases {
            #expect(policy.allows(IPAddress(address)!) == allowed, "\(address)")
        }
    }
}
