import BGP
import Foundation
import LinuxNet
import MoatModel
import NetLab

/// FRR's bgpd as the upstream router, never the system service: `bgpd -u frr -g frr` with its
/// own config file, pid file and vty socket directory, without zebra (`-Z`, so nothing is
/// installed in the kernel); the table read through `vtysh --vty_socket` as JSON.
struct FRRUpstream: UpstreamRouter {
    /// Debian keeps the daemons out of PATH.
    static let bgpd = "/usr/lib/frr/bgpd"

    let lab: Lab
    let namespace: Namespace
    let directory: String
    let peering: Peering

    static func config(peering: Peering) -> String {
        let neighbor = peering.speakerAddress
        return """
        frr defaults traditional
        hostname moat-upstream
        !
        router bgp \(peering.routerAS)
         bgp router-id \(peering.routerAddress)
         no bgp ebgp-requires-policy
         neighbor \(neighbor) remote-as \(peering.speakerAS)
         neighbor \(neighbor) passive
         neighbor \(neighbor) timers 3 \(peering.holdTime)
        \(peering.md5.map { " neighbor \(neighbor) password \($0)" } ?? "!")
         address-family ipv4 unicast
          neighbor \(neighbor) activate
         exit-address-family
         address-family ipv6 unicast
          neighbor \(neighbor) activate
         exit-address-family
        !
        """
    }

    static func start(lab: Lab, namespace: Namespace, directory: String, peering: Peering) throws -> FRRUpstream {
        try config(peering: peering).write(toFile: directory + "/bgpd.conf", atomically: true, encoding: .utf8)
        // bgpd drops to user frr before it writes its pid file and vty socket.
        try Command.check("chown", ["-R", "frr:frr", directory], timeout: .seconds(10))
        try lab.start(in: namespace, [bgpd, "-u", "frr", "-g", "frr", "-f", directory + "/bgpd.conf", "-i", directory + "/bgpd.pid",
                                      "--vty_socket", directory, "-Z", "-n", "-P", "0", "-l", peering.routerAddress])
        let router = FRRUpstream(lab: lab, namespace: namespace, directory: directory, peering: peering)
        try waitUntilAnswering("FRR") { _ = try router.isEstablished() }
        return router
    }

    func vtysh(_ command: String) throws -> Any {
        let output = try lab.exec(in: namespace, ["vtysh", "--vty_socket", directory, "-c", command], timeout: .seconds(10)).stdout
        do {
            return try JSONSerialization.jsonObject(with: Data(output.utf8))
        } catch {
            throw UpstreamOutputError("FRR", "no JSON from '\(command)'", output: output)
        }
    }

    func isEstablished() throws -> Bool {
        let neighbors = try vtysh("show bgp neighbors \(peering.speakerAddress) json") as? [String: Any]
        let neighbor = neighbors?[peering.speakerAddress] as? [String: Any]
        return neighbor?["bgpState"] as? String == "Established"
    }

    func routes() throws -> [CIDR: LearnedRoute] {
        var table: [CIDR: LearnedRoute] = [:]
        for family in ["ipv4", "ipv6"] {
            let command = "show bgp \(family) unicast json detail"
            let output = try vtysh(command)
            guard let routes = (output as? [String: Any])?["routes"] as? [String: Any] else {
                throw UpstreamOutputError("FRR", "no routes object", output: "\(output)")
            }
            for (key, value) in routes {
                guard let prefix = CIDR(key) else { throw UpstreamOutputError("FRR", "prefix '\(key)'", output: "\(value)") }
                // FRR 8.4 lists a header object (prefix, advertisedTo) and then one object per path.
                let paths = (value as? [[String: Any]] ?? []).filter { $0["aspath"] != nil }
                guard let path = paths.first(where: { ($0["bestpath"] as? [String: Any])?["overall"] as? Bool == true }) ?? paths.first else {
                    throw UpstreamOutputError("FRR", "no path for \(key)", output: "\(value)")
                }
                table[prefix] = try Self.route(path)
            }
        }
        return table
    }

    static func route(_ path: [String: Any]) throws -> LearnedRoute {
        let segments = (path["aspath"] as? [String: Any])?["segments"] as? [[String: Any]] ?? []
        let asPath = segments.flatMap { ($0["list"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.uint32Value } }
        let hops = path["nexthops"] as? [[String: Any]] ?? []
        // An IPv6 route may carry a link-local next hop beside the global one.
        let hop = hops.first(where: { $0["scope"] as? String != "link-local" }) ?? hops.first
        guard let text = hop?["ip"] as? String, let nextHop = IPAddress(text) else {
            throw UpstreamOutputError("FRR", "no next hop", output: "\(path)")
        }
        let communities = try strings(path["community"]).map {
            guard let community = Community(text: $0) else { throw UpstreamOutputError("FRR", "community '\($0)'", output: "\(path)") }
            return community
        }
        let large = try strings(path["largeCommunity"]).map {
            guard let community = LargeCommunity(text: $0) else { throw UpstreamOutputError("FRR", "large community '\($0)'", output: "\(path)") }
            return community
        }
        return LearnedRoute(asPath: asPath, nextHop: nextHop, communities: communities, largeCommunities: large)
    }

    private static func strings(_ value: Any?) -> [String] {
        (value as? [String: Any])?["list"] as? [String] ?? []
    }
}
