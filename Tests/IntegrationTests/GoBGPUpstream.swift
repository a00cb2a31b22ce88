import BGP
import Foundation
import MoatModel
import NetLab

/// GoBGP as the upstream router: `gobgpd -f CONF` with its gRPC API on the namespace's own
/// loopback; the table read with `gobgp global rib -a ipv4|ipv6 -j`.
struct GoBGPUpstream: UpstreamRouter {
    /// Inside the router's namespace, so the port never collides with another lab's.
    static let apiPort = 50051

    let lab: Lab
    let namespace: Namespace
    let peering: Peering

    static func config(peering: Peering) -> String {
        """
        [global.config]
          as = \(peering.routerAS)
          router-id = "\(peering.routerAddress)"
          local-address-list = ["\(peering.routerAddress)"]
        [[neighbors]]
          [neighbors.config]
            neighbor-address = "\(peering.speakerAddress)"
            peer-as = \(peering.speakerAS)
            \(peering.md5.map { "auth-password = \"\($0)\"" } ?? "")
          [neighbors.transport.config]
            passive-mode = true
          [neighbors.timers.config]
            hold-time = \(peering.holdTime)
            keepalive-interval = 3
          \(peering.gracefulRestartHelper ? "[neighbors.graceful-restart.config]\n    enabled = true\n    helper-only = true" : "")
          [[neighbors.afi-safis]]
            [neighbors.afi-safis.config]
              afi-safi-name = "ipv4-unicast"
            \(peering.gracefulRestartHelper ? "[neighbors.afi-safis.mp-graceful-restart.config]\n      enabled = true" : "")
          [[neighbors.afi-safis]]
            [neighbors.afi-safis.config]
              afi-safi-name = "ipv6-unicast"
            \(peering.gracefulRestartHelper ? "[neighbors.afi-safis.mp-graceful-restart.config]\n      enabled = true" : "")
        """
    }

    static func start(lab: Lab, namespace: Namespace, directory: String, peering: Peering) throws -> GoBGPUpstream {
        try config(peering: peering).write(toFile: directory + "/gobgpd.toml", atomically: true, encoding: .utf8)
        try lab.start(in: namespace, ["gobgpd", "-f", directory + "/gobgpd.toml", "--api-hosts=127.0.0.1:\(apiPort)", "--pprof-disable", "-p"])
        let router = GoBGPUpstream(lab: lab, namespace: namespace, peering: peering)
        try waitUntilAnswering("GoBGP") { _ = try router.isEstablished() }
        return router
    }

    func gobgp(_ arguments: [String]) throws -> Any? {
        let output = try lab.exec(in: namespace, ["gobgp", "-p", String(Self.apiPort)] + arguments + ["-j"], timeout: .seconds(10)).stdout
        // An empty table prints nothing, or null.
        let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed == "null" { return nil }
        do {
            return try JSONSerialization.jsonObject(with: Data(trimmed.utf8))
        } catch {
            throw UpstreamOutputError("GoBGP", "no JSON from gobgp \(arguments.joined(separator: " "))", output: output)
        }
    }

    func isEstablished() throws -> Bool {
        let neighbor = try gobgp(["neighbor", peering.speakerAddress]) as? [String: Any]
        // gobgp's API enum: 6 is ESTABLISHED.
        return ((neighbor?["state"] as? [String: Any])?["session_state"] as? NSNumber)?.intValue == 6
    }

    func routes() throws -> [CIDR: LearnedRoute] {
        var table: [CIDR: LearnedRoute] = [:]
        for family in ["ipv4", "ipv6"] {
            guard let output = try gobgp(["global", "rib", "-a", family]) else { continue }
            guard let routes = output as? [String: Any] else { throw UpstreamOutputError("GoBGP", "no table object", output: "\(output)") }
            for (key, value) in routes {
                guard let prefix = CIDR(key) else { throw UpstreamOutputError("GoBGP", "prefix '\(key)'", output: "\(value)") }
                let paths = value as? [[String: Any]] ?? []
                guard let path = paths.first(where: { $0["best"] as? Bool == true }) ?? paths.first else {
                    throw UpstreamOutputError("GoBGP", "no path for \(key)", output: "\(value)")
                }
                table[prefix] = try Self.route(path)
            }
        }
        return table
    }

    /// Path attributes as gobgp prints them: a list of objects keyed by attribute type code.
    static func route(_ path: [String: Any]) throws -> LearnedRoute {
        var asPath: [UInt32] = []
        var nextHop: IPAddress?
        var communities: [Community] = []
        var large: [LargeCommunity] = []
        for attribute in path["attrs"] as? [[String: Any]] ?? [] {
            switch (attribute["type"] as? NSNumber)?.intValue {
            case 2: // AS_PATH
                for segment in attribute["as_paths"] as? [[String: Any]] ?? [] {
                    asPath += (segment["asns"] as? [NSNumber] ?? []).map(\.uint32Value)
                }
            case 3, 14: // NEXT_HOP, MP_REACH_NLRI
                nextHop = (attribute["nexthop"] as? String).flatMap(IPAddress.init)
            case 8: // COMMUNITIES, as 32-bit numbers
                communities = (attribute["communities"] as? [NSNumber] ?? []).map { Community(rawValue: $0.uint32Value) }
            case 32: // LARGE_COMMUNITY
                large = (attribute["value"] as? [[String: Any]] ?? []).map {
                    LargeCommunity(($0["ASN"] as? NSNumber)?.uint32Value ?? 0, ($0["LocalData1"] as? NSNumber)?.uint32Value ?? 0,
                                   ($0["LocalData2"] as? NSNumber)?.uint32Value ?? 0)
                }
            default:
                continue
            }
        }
        guard let nextHop else { throw UpstreamOutputError("GoBGP", "no next hop", output: "\(path)") }
        return LearnedRoute(asPath: asPath, nextHop: nextHop, communities: communities, largeCommunities: large)
    }
}
