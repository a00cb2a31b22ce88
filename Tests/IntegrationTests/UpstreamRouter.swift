import BGP
import Foundation
import LinuxNet
import MoatModel
import NetLab
import Testing

/// A route as an upstream router's table shows it, whichever router that is: what the interop
/// tests compare with what Moat announced.
struct LearnedRoute: Hashable, Sendable, CustomStringConvertible {
    var asPath: [UInt32]
    var nextHop: IPAddress
    var communities: [Community]
    var largeCommunities: [LargeCommunity]

    init(asPath: [UInt32], nextHop: IPAddress, communities: [Community] = [], largeCommunities: [LargeCommunity] = []) {
        self.asPath = asPath
        self.nextHop = nextHop
        self.communities = communities.sorted()
        self.largeCommunities = largeCommunities.sorted()
    }

    /// What a router should show for every prefix of `announcement` sent by `speakerAS`.
    static func expected(from announcement: Announcement, speakerAS: UInt32) -> [CIDR: LearnedRoute] {
        var table: [CIDR: LearnedRoute] = [:]
        for prefix in announcement.prefixes {
            guard let nextHop = prefix.isIPv4 ? announcement.nextHopV4 : announcement.nextHopV6 else { continue }
            table[prefix] = LearnedRoute(asPath: [speakerAS], nextHop: nextHop, communities: announcement.communities,
                                         largeCommunities: announcement.largeCommunities)
        }
        return table
    }

    var description: String {
        "as_path \(asPath.map(String.init).joined(separator: " ")), next hop \(nextHop), communities \(communities), large \(largeCommunities)"
    }
}

/// The two ends of the session: the upstream router (passive) and Moat's speaker.
struct Peering: Sendable {
    var routerAddress = "10.90.0.1"
    var routerAddressV6 = "2001:db8:90::1"
    var routerAS: UInt32 = 64512
    var speakerAddress = "10.90.0.2"
    var speakerAddressV6 = "2001:db8:90::2"
    var speakerAS: UInt32 = 65010
    /// The TCP MD5 key the router expects (RFC 2385), if any.
    var md5: String?
    var holdTime = 9
    /// Keep a restarting speaker's routes when it offers graceful restart. BIRD and FRR do by
    /// default; GoBGP is told to (and, so told, also keeps them for a speaker that did not offer it).
    var gracefulRestartHelper = false
}

/// An upstream router in an interop test, run in a lab namespace with its files in a directory
/// of its own: the router-specific configuration, start and table query behind one interface,
/// so every router goes through the same test body.
protocol UpstreamRouter: Sendable {
    /// Starts the router and returns once its control interface answers.
    static func start(lab: Lab, namespace: Namespace, directory: String, peering: Peering) throws -> Self
    /// The router's own view of the session to Moat.
    func isEstablished() throws -> Bool
    /// Every IPv4 and IPv6 unicast route the router holds, by prefix.
    func routes() throws -> [CIDR: LearnedRoute]
}

/// The routers Moat is tested against, as test arguments.
enum UpstreamKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case bird = "BIRD"
    case frr = "FRR"
    case gobgp = "GoBGP"

    var testDescription: String { rawValue }

    /// The programs the router needs and the Debian package that has them.
    var programs: (names: [String], package: String) {
        switch self {
        case .bird: return (["bird", "birdc"], "bird2")
        case .frr: return ([FRRUpstream.bgpd, "vtysh"], "frr")
        case .gobgp: return (["gobgpd", "gobgp"], "gobgpd")
        }
    }

    /// Why the router cannot run here, or nil.
    var missing: String? {
        let absent = programs.names.filter { !Command.isInstalled($0) }
        return absent.isEmpty ? nil : "\(absent.joined(separator: ", ")) not installed (apt-get install \(programs.package))"
    }

    func start(lab: Lab, namespace: Namespace, directory: String, peering: Peering) throws -> any UpstreamRouter {
        switch self {
        case .bird: return try BIRDUpstream.start(lab: lab, namespace: namespace, directory: directory, peering: peering)
        case .frr: return try FRRUpstream.start(lab: lab, namespace: namespace, directory: directory, peering: peering)
        case .gobgp: return try GoBGPUpstream.start(lab: lab, namespace: namespace, directory: directory, peering: peering)
        }
    }
}

/// What a router printed that the test could not read.
struct UpstreamOutputError: Error, CustomStringConvertible {
    var description: String
    init(_ router: String, _ problem: String, output: String) {
        description = "\(router): \(problem) in: \(output.prefix(2000))"
    }
}

extension Community {
    /// "65010:100", as routers print a community.
    init?(text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let asn = UInt16(parts[0]), let value = UInt16(parts[1]) else { return nil }
        self.init(asn, value)
    }
}

extension LargeCommunity {
    /// "65010:1:2", or BIRD's "65010, 1, 2".
    init?(text: String) {
        let parts = text.split(whereSeparator: { $0 == ":" || $0 == "," }).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 3, let global = UInt32(parts[0]), let one = UInt32(parts[1]), let two = UInt32(parts[2]) else { return nil }
        self.init(global, one, two)
    }
}

/// Waits for the control interface of a router just started: bounded, and the last error
/// is what the test sees if it never answers.
func waitUntilAnswering(_ router: String, timeout: Duration = .seconds(15), _ probe: () throws -> Void) throws {
    let deadline = ContinuousClock.now + timeout
    while true {
        do {
            try probe()
            return
        } catch {
            if ContinuousClock.now >= deadline { throw UpstreamOutputError(router, "no answer within \(timeout)", output: "\(error)") }
            usleep(100_000)
        }
    }
}
