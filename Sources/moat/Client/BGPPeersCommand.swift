import ArgumentParser
import MoatClient
import MoatModel

struct BGPPeersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bgp-peers", abstract: "The upstream routers each location's edges announce prefixes to (operator token).",
        discussion: """
        Example: moat bgp-peers create transit-a --location ams1 --peer-address 192.0.2.1 --peer-asn 64500 --local-asn 65010 \\
                   --md5-key secret --community 64500:666
        On each edge, `moat edge bgp` shows the sessions and why a prefix is not announced.
        """,
        subcommands: [List.self, Create.self, Show.self, Update.self, Delete.self])

    static func table(_ items: [BGPPeer]) -> Table {
        Table(["ID", "NAME", "EDGE", "PEER", "PEER AS", "LOCAL AS", "HOLD", "MD5", "MODE", "GR", "PREFIX LIMIT"], items.map {
            [$0.id, $0.name, $0.edge ?? "all", "\($0.peerAddress)", String($0.peerASN), String($0.localASN), String($0.holdTime),
             $0.md5KeySet ? "yes" : "no", $0.passive ? "passive" : "active", $0.gracefulRestart ? "\($0.restartTime)s" : "off",
             $0.prefixLimit.map(String.init) ?? "-"]
        })
    }

    struct LocationOption: ParsableArguments {
        @Option(help: "The location, e.g. ams1.") var location: String
    }

    /// The settings `create` and `update` share; unset ones are not sent.
    struct PeerOptions: ParsableArguments {
        @Option(help: "Only this edge of the location holds the session (edge ID); default: every edge.") var edge: String?
        @Option(help: "The router's address (IPv4 or IPv6).") var peerAddress: String?
        @Option(help: "The router's AS number.") var peerAsn: Int?
        @Option(help: "Moat's AS number on this session.") var localAsn: Int?
        @Option(help: "The edge's source address for the session.") var localAddress: String?
        @Option(help: "TCP MD5 key (RFC 2385).") var md5Key: String?
        @Option(help: "Hold time in seconds: 0, or 3 and more (default 90).") var holdTime: Int?
        @Option(help: "true: wait for the router to connect to port 179.") var passive: Bool?
        @Option(help: "true/false: offer graceful restart (default true).") var gracefulRestart: Bool?
        @Option(help: "Seconds the router keeps our routes while the edge restarts (default 120).") var restartTime: Int?
        @Option(name: .customLong("community"), help: "Community to attach, ASN:VALUE (repeat).") var communities: [String] = []
        @Option(name: .customLong("large-community"), help: "Large community to attach, ASN:DATA1:DATA2 (repeat).") var largeCommunities: [String] = []
        @Option(help: "Next hop for IPv4 prefixes (default: the session's address).") var nextHopIpv4: String?
        @Option(help: "Next hop for IPv6 prefixes (default: the session's address when IPv6).") var nextHopIpv6: String?
        @Option(help: "Most prefixes the router accepts from each server; prefixes are then spread over the location's edges.") var prefixLimit: Int?
        @Option(help: "Most routes kept from the router (default 10000).") var receiveLimit: Int?

        var body: JSONBody {
            var body = JSONBody()
            body.set("edge", edge)
            body.set("peer_address", peerAddress)
            body.set("peer_asn", peerAsn)
            body.set("local_asn", localAsn)
            body.set("local_address", localAddress)
            body.set("md5_key", md5Key)
            body.set("hold_time", holdTime)
            body.set("passive", passive)
            body.set("graceful_restart", gracefulRestart)
            body.set("restart_time", restartTime)
            if !communities.isEmpty { body.set("communities", JSONValue.array(communities.map(JSONValue.string))) }
            if !largeCommunities.isEmpty { body.set("large_communities", JSONValue.array(largeCommunities.map(JSONValue.string))) }
            body.set("next_hop_ipv4", nextHopIpv4)
            body.set("next_hop_ipv6", nextHopIpv6)
            body.set("prefix_limit", prefixLimit)
            body.set("receive_limit", receiveLimit)
            return body
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a location's BGP peers.")
        @OptionGroup var location: LocationOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run {
                try options.show(try await $0.send(.GET, "/v1/locations/\(location.location)/bgp-peers"), as: BGPPeer.self, table: BGPPeersCommand.table)
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an upstream router to a location.")
        @Argument(help: "Peer name, unique in the location, e.g. transit-a.") var name: String
        @OptionGroup var location: LocationOption
        @OptionGroup var peer: PeerOptions
        @OptionGroup var options: ClientOptions
        func run() async throws {
            var body = peer.body
            body.set("name", name)
            try await options.run {
                try options.show(try await $0.send(.POST, "/v1/locations/\(location.location)/bgp-peers", json: body.value), as: BGPPeer.self, table: BGPPeersCommand.table)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one BGP peer.")
        @Argument(help: "Peer ID.") var id: String
        @OptionGroup var location: LocationOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run {
                try options.show(try await $0.send(.GET, "/v1/locations/\(location.location)/bgp-peers/\(id)"), as: BGPPeer.self, table: BGPPeersCommand.table)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a BGP peer; the edges restart that session.")
        @Argument(help: "Peer ID.") var id: String
        @Option(help: "New name.") var name: String?
        @OptionGroup var location: LocationOption
        @OptionGroup var peer: PeerOptions
        @OptionGroup var options: ClientOptions
        func run() async throws {
            var body = peer.body
            body.set("name", name)
            try await options.run {
                try options.show(try await $0.send(.PATCH, "/v1/locations/\(location.location)/bgp-peers/\(id)", json: body.value), as: BGPPeer.self, table: BGPPeersCommand.table)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a BGP peer; the edges end the session with a Cease.")
        @Argument(help: "Peer ID.") var id: String
        @OptionGroup var location: LocationOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { options.showDeleted("BGP peer \(id)", try await $0.send(.DELETE, "/v1/locations/\(location.location)/bgp-peers/\(id)")) }
        }
    }
}
