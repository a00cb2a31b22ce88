import Foundation
import LinuxNet
import MoatModel

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
///
/// Every router link also carries IPv6 (10.0.A.B/30 is 2001:db8:A::B/64), with the same routes
/// to the targets 2001:db8:113::10 and ::20 in the account's 2001:db8:113::/48.
///
/// The target namespace is also the customer's tunnel router: 203.0.113.30 on its loopback is
/// the customer endpoint of a GRE tunnel whose Moat endpoint, 192.0.2.1, sits on edge1's
/// loopback (r1 routes it there), so `gre` traces run from ams1.
package final class TracerouteLab: @unchecked Sendable {
    package static let singlePathTarget = "203.0.113.10"
    package static let ecmpTarget = "203.0.113.20"
    package static let accountPrefix = "203.0.113.0/24"
    package static let singlePathTarget6 = "2001:db8:113::10"
    package static let ecmpTarget6 = "2001:db8:113::20"
    package static let accountPrefix6 = "2001:db8:113::/48"
    package static let customerEndpoint = "203.0.113.30"
    package static let moatEndpoint = "192.0.2.1"
    package static let tunnelInterface = "10.100.0.0/31"
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
        ("r2", ["203.0.113.30/32", "via", "10.0.23.2"]),
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
    package static let parallelRouters6: Set<String> = ["2001:db8:23::2", "2001:db8:24::2"]

    /// The IPv6 twin of a lab IPv4 address or prefix: 10.0.A.B → 2001:db8:A::B, the account's
    /// 203.0.113.X → 2001:db8:113::X (in hex digits, as written), its /24 → /48, /30 → /64.
    static func ipv6(_ text: String) -> String? {
        let (address, length) = text.contains("/")
            ? (String(text.split(separator: "/")[0]), Int(text.split(separator: "/")[1]))
            : (text, nil)
        let parts = address.split(separator: ".").map(String.init)
        guard parts.count == 4 else { return text == "default" ? "default" : nil }
        let v6: String
        switch (parts[0], parts[1], parts[2]) {
        case ("10", "0", _): v6 = "2001:db8:\(parts[2])::\(parts[3])"
        case ("203", "0", "113"): v6 = parts[3] == "0" ? "2001:db8:113::" : "2001:db8:113::\(parts[3])"
        default: return nil
        }
        switch length {
        case nil: return v6
        case 30: return v6 + "/64"
        case 24: return v6 + "/48"
        case 32: return v6 + "/128"
        default: return nil
        }
    }

    /// A test IP-to-ASN file: the routers in a transit AS, the account's prefix in its own.
    package static let asnFile = """
    # start\tend\tasn\tname
    10.0.0.0\t10.0.255.255\t64501\tTRANSIT-A
    203.0.113.0\t203.0.113.255\t64500\tACME
    2001:db8::\t2001:db8:112:ffff:ffff:ffff:ffff:ffff\t64501\tTRANSIT-A
    2001:db8:113::\t2001:db8:113:ffff:ffff:ffff:ffff:ffff\t64500\tACME

    """

    /// BIRD on r1 (AS 64499) announces the routers' 10.0.0.0/16 to the edges that peer with it,
    /// originated by AS 64496 (path 64499 64496): a hop's origin AS from the edge's BGP table
    /// differs from the ASN file's 64501.
    package static let birdASN = 64499
    package static let birdOriginASN = 64496
    package static let moatASN = 64512
    package static let birdPrefix = "10.0.0.0/16"
    package static let birdPeers = ["edge1": (router: "10.0.1.1", edge: "10.0.1.2"), "edge2": (router: "10.0.2.1", edge: "10.0.2.2")]

    package let lab: Lab
    package private(set) var namespaces: [String: Namespace] = [:]

    package init(lab: Lab) throws {
        self.lab = lab
        for name in ["core", "edge1", "edge2", "target"] + Self.routers {
            let namespace = try lab.addNamespace(name)
            namespaces[name] = namespace
            // Link-local addresses usable at once, so the first IPv6 probes find their neighbours.
            try lab.setSysctl("net.ipv6.conf.default.accept_dad", to: "0", in: namespace)
            try lab.setSysctl("net.ipv6.conf.all.accept_dad", to: "0", in: namespace)
        }
        for link in Self.links {
            let veth = try lab.addLink(try ns(link.a), interface: link.aInterface, to: try ns(link.b), interface: link.bInterface)
            try lab.addAddress(link.aAddress, to: veth.a)
            try lab.addAddress(link.bAddress, to: veth.b)
            if let a6 = Self.ipv6(link.aAddress), let b6 = Self.ipv6(link.bAddress) {
                try lab.addAddress(a6, to: veth.a)
                try lab.addAddress(b6, to: veth.b)
            }
        }
        for address in [Self.singlePathTarget, Self.ecmpTarget, Self.customerEndpoint] {
            try lab.exec(in: try ns("target"), ["ip", "addr", "add", "\(address)/32", "dev", "lo"])
        }
        for address in [Self.singlePathTarget6, Self.ecmpTarget6] {
            try lab.exec(in: try ns("target"), ["ip", "-6", "addr", "add", "\(address)/128", "dev", "lo", "nodad"])
        }
        try lab.exec(in: try ns("edge1"), ["ip", "addr", "add", "\(Self.moatEndpoint)/32", "dev", "lo"])
        for (name, route) in Self.routes {
            try lab.exec(in: try ns(name), ["ip", "route", "add"] + route)
            // The same route for IPv6, where the lab has IPv6 twins of its addresses.
            let twins = route.map { word in ["via", "nexthop", "default"].contains(word) ? word : Self.ipv6(word) }
            if twins.allSatisfy({ $0 != nil }) {
                try lab.exec(in: try ns(name), ["ip", "-6", "route", "add"] + twins.map { $0! })
            }
        }
        try lab.exec(in: try ns("r1"), ["ip", "route", "add", "\(Self.moatEndpoint)/32", "via", "10.0.1.2"])
        for name in Self.routers {
            try lab.setSysctl("net.ipv4.ip_forward", to: "1", in: try ns(name))
            try lab.setSysctl("net.ipv6.conf.all.forwarding", to: "1", in: try ns(name))
        }
        try lab.setSysctl("net.ipv4.fib_multipath_hash_policy", to: "1", in: try ns("r2"))
        try lab.setSysctl("net.ipv6.fib_multipath_hash_policy", to: "1", in: try ns("r2"))
        // Linux sends at most about one ICMP error a second to each host after a burst of six,
        // and at most 1,000 a second in all after a burst of 50: traces that follow each other,
        // or four that run at once, would see stars.
        for name in Self.routers + ["target"] {
            try lab.setSysctl("net.ipv4.icmp_ratelimit", to: "0", in: try ns(name))
            try lab.setSysctl("net.ipv4.icmp_msgs_per_sec", to: "100000", in: try ns(name))
            try lab.setSysctl("net.ipv4.icmp_msgs_burst", to: "10000", in: try ns(name))
            try lab.setSysctl("net.ipv6.icmp.ratelimit", to: "0", in: try ns(name))
        }
    }

    /// Starts BIRD on r1 with a passive session to each edge of `edges` (r1 installs nothing in
    /// its kernel: forwarding stays static).
    @discardableResult
    package func startBIRD(dataDirectory: String, edges: [String] = ["edge1"]) throws -> ChildProcess {
        let directory = dataDirectory + "/bird"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = """
        router id 10.0.12.1;
        log "\(directory)/bird.log" all;
        protocol device { scan time 10; }
        protocol static routers { ipv4; route \(Self.birdPrefix) unreachable; }

        """
        for edge in edges {
            guard let peer = Self.birdPeers[edge] else { throw LabError(.unknownNamespace, "no BIRD peer for '\(edge)'") }
            config += """
            protocol bgp \(edge) {
                local \(peer.router) as \(Self.birdASN);
                neighbor \(peer.edge) as \(Self.moatASN);
                hold time 9;
                ipv4 {
                    import all;
                    export filter { if proto = "routers" then { bgp_path.prepend(\(Self.birdOriginASN)); accept; } reject; };
                };
            }

            """
        }
        try config.write(toFile: directory + "/bird.conf", atomically: true, encoding: .utf8)
        return try lab.start(in: try ns("r1"), ["bird", "-f", "-c", directory + "/bird.conf", "-s", directory + "/bird.ctl", "-P", directory + "/bird.pid"])
    }

    /// `birdc show protocols all NAME` and friends, on r1.
    package func birdc(_ dataDirectory: String, _ command: [String]) throws -> String {
        try lab.run(in: try ns("r1"), ["birdc", "-s", dataDirectory + "/bird/bird.ctl"] + command).stdout
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

    /// Debian's `traceroute -n` from `edge` (`-I` ICMP, `-T` TCP, default UDP; `-6` for an IPv6
    /// target), as hop → addresses.
    package func debianTraceroute(from edge: String, to target: String, mode: String, probes: Int = 3, firstTTL: Int = 1, maxTTL: Int = 15,
                                  port: Int? = nil) throws -> (hops: [Int: Set<String>], output: String) {
        var arguments = ["traceroute", "-n", "-q", String(probes), "-w", "2", "-f", String(firstTTL), "-m", String(maxTTL)]
        if target.contains(":") { arguments.append("-6") }
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
                return parts.count == 4 && parts.allSatisfy { UInt8($0) != nil } || word.contains(":") && IPAddress(String(word)) != nil
            }.map(String.init))
        }
        return hops
    }
}
