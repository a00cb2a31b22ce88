import Foundation
import LinuxNet

/// The customer side's own nftables table, `ip tunlab`: how the lab sees which tunnel
/// carries what, and how it breaks tunnels. It never touches Moat's tables.
///
/// - `forward`: what tunnel N delivers towards the origin's prefix gets DSCP class selector N
///   (the stream receiver reads it per datagram) and counts in `carried_tunN`;
/// - `input`/`output`: GRE to and from tunnel N's endpoint counts in `gre_in_tunN` /
///   `gre_out_tunN` (the underlay, probes included), then goes through chain `cut_tunN`,
///   empty until ``cut(_:)`` or ``makeLossy(_:percent:)`` puts a drop rule there; what those
///   drop counts in `dropped_tunN`.
extension TunnelLab {
    static let table = "tunlab"

    /// Packet counters of the customer side's table, by counter name.
    package struct Counters: Sendable {
        package var packets: [String: Int]
        package var bytes: [String: Int]

        package func carried(_ tunnel: Tunnel) -> Int { packets["carried_\(tunnel.name)"] ?? 0 }
        package func greIn(_ tunnel: Tunnel) -> Int { packets["gre_in_\(tunnel.name)"] ?? 0 }
        package func greOut(_ tunnel: Tunnel) -> Int { packets["gre_out_\(tunnel.name)"] ?? 0 }
        package func greInBytes(_ tunnel: Tunnel) -> Int { bytes["gre_in_\(tunnel.name)"] ?? 0 }
        package func greOutBytes(_ tunnel: Tunnel) -> Int { bytes["gre_out_\(tunnel.name)"] ?? 0 }
        package func dropped(_ tunnel: Tunnel) -> Int { packets["dropped_\(tunnel.name)"] ?? 0 }
    }

    func installCustomerTable() throws {
        var lines = ["table ip \(Self.table) {"]
        for tunnel in tunnels {
            for counter in ["carried", "gre_in", "gre_out", "dropped"] {
                lines.append("    counter \(counter)_\(tunnel.name) { }")
            }
            lines.append("    chain cut_\(tunnel.name) { }")
        }
        lines.append("    chain input {")
        lines.append("        type filter hook input priority -10; policy accept;")
        for tunnel in tunnels {
            lines.append("        ip daddr \(tunnel.customerEndpoint) ip protocol gre counter name gre_in_\(tunnel.name) jump cut_\(tunnel.name)")
        }
        lines.append("    }")
        lines.append("    chain output {")
        lines.append("        type filter hook output priority -10; policy accept;")
        for tunnel in tunnels {
            lines.append("        ip saddr \(tunnel.customerEndpoint) ip protocol gre counter name gre_out_\(tunnel.name)")
        }
        lines.append("    }")
        lines.append("    chain forward {")
        lines.append("        type filter hook forward priority -10; policy accept;")
        for tunnel in tunnels {
            lines.append("        iifname \"\(tunnel.name)\" ip daddr \(Self.originPrefix) ip dscp set \(tunnel.dscp) counter name carried_\(tunnel.name)")
        }
        lines.append("    }")
        lines.append("}")
        try Nft(namespace: customer.name).load(lines.joined(separator: "\n") + "\n")
    }

    /// Drops every GRE packet that reaches tunnel `tunnel`'s customer endpoint: the tunnel is
    /// dead one way, as when a customer's link or router fails.
    package func cut(_ tunnel: Tunnel) throws {
        try nft(["add", "rule", "ip", Self.table, "cut_\(tunnel.name)",
                 "ip", "daddr", tunnel.customerEndpoint, "ip", "protocol", "gre",
                 "counter", "name", "dropped_\(tunnel.name)", "drop"])
    }

    /// Drops `percent` % of the GRE packets that reach the tunnel's customer endpoint, at random.
    package func makeLossy(_ tunnel: Tunnel, percent: Int) throws {
        try nft(["add", "rule", "ip", Self.table, "cut_\(tunnel.name)",
                 "ip", "daddr", tunnel.customerEndpoint, "ip", "protocol", "gre",
                 "numgen", "random", "mod", "100", "<", String(percent),
                 "counter", "name", "dropped_\(tunnel.name)", "drop"])
    }

    /// Takes away whatever ``cut(_:)`` or ``makeLossy(_:percent:)`` did to the tunnel.
    package func restore(_ tunnel: Tunnel) throws {
        try nft(["flush", "chain", "ip", Self.table, "cut_\(tunnel.name)"])
    }

    /// Reads every counter of the table.
    package func counters() throws -> Counters {
        let result = try nft(["-j", "list", "counters", "table", "ip", Self.table])
        let object = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any]
        var counters = Counters(packets: [:], bytes: [:])
        for entry in object?["nftables"] as? [[String: Any]] ?? [] {
            guard let counter = entry["counter"] as? [String: Any], let name = counter["name"] as? String else { continue }
            counters.packets[name] = counter["packets"] as? Int ?? 0
            counters.bytes[name] = counter["bytes"] as? Int ?? 0
        }
        return counters
    }

    /// How many packets each tunnel delivered towards the origin while `body` ran.
    package func carriedDuring(_ body: () throws -> Void) throws -> [Tunnel: Int] {
        let before = try counters()
        try body()
        let after = try counters()
        return Dictionary(uniqueKeysWithValues: tunnels.map { ($0, after.carried($0) - before.carried($0)) })
    }

    @discardableResult
    private func nft(_ arguments: [String]) throws -> CommandResult {
        try lab.exec(in: customer, ["nft"] + arguments, timeout: .seconds(10))
    }
}
