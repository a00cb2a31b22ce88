import Foundation
import LinuxNet

/// A routed path for traceroutes: two edges (locations `ams1` and `fra1`) behind the same
/// chain of routers, and a target six hops away, with core beside the edges.
///
/// ```
/// edge1 ─┐                ┌─ r3a ─┐
///        r1 ── r2 ────────┤       ├── r4 ── r5 ── target (203.0.113.10, .20 on lo)
/// edge2 ─┘                └─ r3b ─┘
/// core ── edge1, core ── edge2 (198.18.1.0/30, 198.18.2.0/30)
/// ```
///
/// r2 sends 203.0.113.10 through r3a only and 203.0.113.20 through r3a and r3b at equal cost,
/// hashing on ports (`fib_multipath_hash_policy=1`). Routers answer without ICMP rate limits,
/// so back-to-back traces see every hop.
package final class TracerouteLab: @unchecked Sendable {
    package static let singlePathTarget = "203.0.113.10"
    package static let ecmpTarget = "203.0.113.20"
    package static let accountPrefix = "203.0.113.0/24"
    /// Inside no prefix of the account.
    package static let foreignTarget = "198.51.100.7"
    package static let routers = ["r1", "r2", "r3a", "r3b", "r4", "r5"]

    /// One veth link: namespace, interface, address for each end.
    struct Link {
        var a: String, aInterface: String, aAddress: String
        var b: String, bInterface: String, bAddress: String
    }

    static let links: [Link] = [
        Link(a: "core", aInterface: "to-edge1", aAddress: "198.18.1.1/30", b: "edge1", bInterface: "to-core", bAddress: "198.18.1.2/30"),
        Link(a: "core", aInterface: "to-edge2", aAddress: "198.18.2.1/30", b: "edge2", bInterface: "to-core", bAddress: "198.18.2.2/30"),
        Link(a: "edge1", aInterface: "to-r1", aAddress: "10.0.1.2/30", b: "r1", bInterface: "to-edge1", bAddress: "10.0.1.1/30"),
        Link(a: "edge2", aInterface: "to-r1", aAddress: "10.0.2.2/30", b: "r1", bInterface: "to-edge2", bAddress: "10.0.2.1/30"),
        Link(a: "r1", aInterface: "to-r2", aAddress: "10.0.12.1/30", b: "r2", bInterface: "to-r1", bAddress: "10.0.12.2/30"),
        Link(a: "r2", aInterface: "to-r3a", aAddress: "10.0.23.1/30", b: "r3a", bInterface: "to-r2", bAddress: "10.0.23.2/30"),
        Link(a: "r2", aInterface: "to-r3b", aAddress: "10.0.24.1/30", b: "r3b", bInterface: "to-r2", bAddress: "10.0.24.2/30"),
        Link(a: "r3a", aInterface: "to-r4", aAddress: "10.0.34.1/30", b: "r4", bInterface: "to-r3a", bAddress: "10.0.34.2/30"),
        Link(a: "r3b", aInterface: "to-r4", aAddress: "10.0.35.1/30", b: "r4", bInterface: "to-r3b", bAddress: "10.0.35.2/30"),
        Link(a: "r4", aInterface: "to-r5", aAddress: "10.0.45.1/30", b: "r5", bInterface: "to-r4", bAddress: "10.0.45.2/30"),
        Link(a: "r5", aInterface: "to-target", aAddress: "10.0.56.1/30", b: "target", bInterface: "to-r5", bAddress: "10.0.56.2/30"),
    ]

    /// Routes as `ip route add` arguments, per namespace.
    static let routes: [(String, [String])] = [
        ("edge1", ["default", "via", "10.0.1.1"]),
        ("edge2", ["default", "via", "10.0.2.1"]),
        ("r1", ["203.0.113.0/24", "via", "10.0.12.2"]),
        ("r2", ["default", "via", "10.0.12.1"]),
        ("r2", ["203.0.113.10/32", "via", "10.0.23.2"]),
        ("r2", ["203.0.113.20/32", "nexthop", "via", "10.0.23.2", "nexthop", "via", "10.0.24.2"]),
        ("r3a", ["default", "via", "10.0.23.1"]),
        ("r3a", ["203.0.113.0/24", "via", "10.0.34.2"]),
        ("r3b", ["default", "via", "10.0.24.1"]),
        ("r3b", ["203.0.113.0/24", "via", "10.0.35.2"]),
        ("r4", ["default", "via", "10.0.34.1"]),
        ("r4", ["203.0.113.0/24", "via", "10.0.45.2"]),
        ("r5", ["default", "via", "10.0.45.1"]),
        ("r5", ["203.0.113.0/24", "via", "10.0.56.2"]),
        ("target", ["default", "via", "10.0.56.1"]),
    ]

    /// The hops from edge1 to the single-path target, as `traceroute -n` should show them.
    package static let edge1Path = ["10.0.1.1", "10.0.12.2", "10.0.23.2", "10.0.34.2", "10.0.45.2", singlePathTarget]
    /// The two routers r2 balances the ECMP target over.
    package static let parallelRouters: Set<String> = ["10.0.23.2", "10.0.24.2"]

    /// A test IP-to-ASN file: the routers in a transit AS, the account's prefix in its own.
    package static let asnFile = """
    # start\tend\tasn\tname
    10.0.0.0\t10.0.255.255\t64501\tTRANSIT-A
    203.0.113.0\t203.0.113.255\t64500\tACME

    """

    package let lab: Lab
    package private(set) var namespaces: [String: Namespace] = [:]

    package init(lab: Lab) throws {
        self.lab = lab
        for name in ["core", "edge1", "edge2", "target"] + Self.routers {
            namespaces[name] = try lab.addNamespace(name)
        }
        for link in Self.links {
            let veth = try lab.addLink(try ns(link.a), interface: link.aInterface, to: try ns(link.b), interface: link.bInterface)
            try lab.addAddress(link.aAddress, to: veth.a)
            try lab.addAddress(link.bAddress, to: veth.b)
        }
        for address in [Self.singlePathTarget, Self.ecmpTarget] {
            try lab.exec(in: try ns("target"), ["ip", "addr", "add", "\(address)/32", "dev", "lo"])
        }
        for (name, route) in Self.routes {
            try lab.exec(in: try ns(name), ["ip", "route", "add"] + route)
        }
        for name in Self.routers {
            try lab.setSysctl("net.ipv4.ip_forward", to: "1", in: try ns(name))
        }
        try lab.setSysctl("net.ipv4.fib_multipath_hash_policy", to: "1", in: try ns("r2"))
        // Linux sends at most about one ICMP error a second to each host after a burst of six,
        // and at most 1,000 a second in all after a burst of 50: traces that follow each other,
        // or four that run at once, would see stars.
        for name in Self.routers + ["target"] {
            try lab.setSysctl("net.ipv4.icmp_ratelimit", to: "0", in: try ns(name))
            try lab.setSysctl("net.ipv4.icmp_msgs_per_sec", to: "100000", in: try ns(name))
            try lab.setSysctl("net.ipv4.icmp_msgs_burst", to: "10000", in: try ns(name))
        }
    }

    package func ns(_ name: String) throws -> Namespace {
        guard let namespace = namespaces[name] else { throw LabError(.unknownNamespace, "the traceroute lab has no namespace '\(name)'") }
        return namespace
    }

    /// Makes `router` send no ICMP of its own (it still forwards everything), like a router
    /// configured not to answer traceroutes.
    package func silence(_ router: String) throws {
        let namespace = try ns(router)
        try lab.exec(in: namespace, ["nft", "add", "table", "ip", "moat_silent"])
        try lab.exec(in: namespace, ["nft", "add chain ip moat_silent out { type filter hook output priority 0 ; }"])
        try lab.exec(in: namespace, ["nft", "add", "rule", "ip", "moat_silent", "out", "ip", "protocol", "icmp", "drop"])
    }

    package func unsilence(_ router: String) throws {
        try lab.exec(in: try ns(router), ["nft", "delete", "table", "ip", "moat_silent"])
    }

    /// Debian's `traceroute -n` from `edge` (`-I` ICMP, `-T` TCP, default UDP), as hop → addresses.
    package func debianTraceroute(from edge: String, to target: String, mode: String, probes: Int = 3, firstTTL: Int = 1, maxTTL: Int = 15,
                                  port: Int? = nil) throws -> (hops: [Int: Set<String>], output: String) {
        var arguments = ["traceroute", "-n", "-q", String(probes), "-w", "2", "-f", String(firstTTL), "-m", String(maxTTL)]
        switch mode {
        case "icmp": arguments.append("-I")
        case "tcp": arguments.append("-T")
        default: break
        }
        if let port { arguments += ["-p", String(port)] }
        let result = try lab.exec(in: try ns(edge), arguments + [target], timeout: .seconds(120))
        return (Self.parseTraceroute(result.stdout), result.stdout)
    }

    /// Hop number → the addresses `traceroute -n` printed on its line (empty for `* * *`).
    package static func parseTraceroute(_ output: String) -> [Int: Set<String>] {
        var hops: [Int: Set<String>] = [:]
        for line in output.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let first = words.first, let ttl = Int(first) else { continue }
            hops[ttl] = Set(words.dropFirst().filter { word in
                let parts = word.split(separator: ".")
                return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil }
            }.map(String.init))
        }
        return hops
    }
}
