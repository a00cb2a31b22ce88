import BGP
import Foundation
import MoatModel
import NetLab

/// BIRD 2 as the upstream router: `bird -f` with its own config, control socket and pid file;
/// the table read from `birdc show route all`.
struct BIRDUpstream: UpstreamRouter {
    let lab: Lab
    let namespace: Namespace
    let socket: String

    static func config(directory: String, peering: Peering) -> String {
        """
        router id \(peering.routerAddress);
        log "\(directory)/bird.log" all;
        protocol device { scan time 1; }
        protocol bgp moat {
            local \(peering.routerAddress) as \(peering.routerAS);
            neighbor \(peering.speakerAddress) as \(peering.speakerAS);
            passive on;
            hold time \(peering.holdTime);
            \(peering.md5.map { "password \"\($0)\";" } ?? "")
            ipv4 { import all; export none; };
            ipv6 { import all; export none; };
        }
        """
    }

    static func start(lab: Lab, namespace: Namespace, directory: String, peering: Peering) throws -> BIRDUpstream {
        try config(directory: directory, peering: peering).write(toFile: directory + "/bird.conf", atomically: true, encoding: .utf8)
        let router = BIRDUpstream(lab: lab, namespace: namespace, socket: directory + "/bird.ctl")
        try lab.start(in: namespace, ["bird", "-f", "-c", directory + "/bird.conf", "-s", router.socket, "-P", directory + "/bird.pid"])
        try waitUntilAnswering("BIRD") { _ = try router.birdc(["show", "status"]) }
        return router
    }

    func birdc(_ arguments: [String]) throws -> String {
        try lab.exec(in: namespace, ["birdc", "-s", socket] + arguments, timeout: .seconds(10)).stdout
    }

    func isEstablished() throws -> Bool {
        try birdc(["show", "protocols", "moat"]).contains("Established")
    }

    func routes() throws -> [CIDR: LearnedRoute] {
        try Self.parse(birdc(["show", "route", "all"]))
    }

    /// Reads `show route all`: a line per route that starts with the prefix, then indented
    /// `BGP.xxx: value` lines.
    static func parse(_ output: String) throws -> [CIDR: LearnedRoute] {
        var table: [CIDR: LearnedRoute] = [:]
        var prefix: CIDR?
        var attributes: [String: String] = [:]
        func finish() throws {
            guard let current = prefix else { return }
            guard let path = attributes["BGP.as_path"], let hop = attributes["BGP.next_hop"]?.split(separator: " ").first,
                  let nextHop = IPAddress(String(hop)) else {
                throw UpstreamOutputError("BIRD", "no as_path or next_hop for \(current)", output: output)
            }
            let asPath = try path.split(separator: " ").map {
                guard let asn = UInt32($0) else { throw UpstreamOutputError("BIRD", "as_path '\(path)'", output: output) }
                return asn
            }
            let communities = try groups(attributes["BGP.community"]).map {
                guard let community = Community(text: $0.replacingOccurrences(of: ",", with: ":")) else {
                    throw UpstreamOutputError("BIRD", "community '\($0)'", output: output)
                }
                return community
            }
            let large = try groups(attributes["BGP.large_community"]).map {
                guard let community = LargeCommunity(text: $0) else { throw UpstreamOutputError("BIRD", "large community '\($0)'", output: output) }
                return community
            }
            table[current] = LearnedRoute(asPath: asPath, nextHop: nextHop, communities: communities, largeCommunities: large)
            prefix = nil
            attributes = [:]
        }
        for line in output.split(separator: "\n", omittingEmptySubsequences: true) {
            if let first = line.first, !first.isWhitespace {
                try finish()
                // "Table master4:" and the "BIRD 2.0.12 ready." banner are not routes.
                if let word = line.split(separator: " ").first, let cidr = CIDR(String(word)) { prefix = cidr }
            } else if prefix != nil, let colon = line.firstIndex(of: ":") {
                let key = line[..<colon].trimmingCharacters(in: .whitespaces)
                attributes[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        try finish()
        return table
    }

    /// "(65010,100) (65010,200)" → ["65010,100", "65010,200"].
    private static func groups(_ text: String?) -> [String] {
        guard let text else { return [] }
        return text.split(separator: ")").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " (")) }.filter { !$0.isEmpty }
    }
}
