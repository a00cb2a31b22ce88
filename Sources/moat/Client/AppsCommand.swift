import ArgumentParser
import Foundation
import MoatClient
import MoatModel

struct AppsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apps", abstract: "Spectrum apps: TCP and UDP ports on every edge, proxied to the account's origins.",
        discussion: """
        Example: moat apps create minecraft --tcp 25565 --origin 192.0.2.10:25565
                 moat apps create game --udp 27015-27020 --origin 192.0.2.11:37015-37020 --proxy-protocol simple
                 moat apps status game
                 moat apps events minecraft
        A port range needs edges that run as root (CAP_NET_ADMIN): nftables TPROXY sends the range
        to one socket. An edge without it serves single ports and says so in `moat apps status`.
        """,
        subcommands: [List.self, Create.self, Show.self, Update.self, Delete.self, Status.self, Events.self])

    static func table(_ items: [SpectrumApp]) -> Table {
        Table(["ID", "NAME", "PROTO", "PORTS", "ORIGINS", "BALANCING", "PROXY PROTOCOL", "LOCATIONS"], items.map { app in
            [app.id, app.name, app.proto.rawValue, "\(app.edgeAddress.map { "\($0):" } ?? "")\(app.ports)",
             app.origins.map { "\($0.address):\($0.ports)\($0.weight == 1 ? "" : "×\($0.weight)")" }.joined(separator: " "),
             app.loadBalancing.rawValue, app.proxyProtocol.rawValue, app.locations.isEmpty ? "all" : app.locations.joined(separator: ",")]
        })
    }

    struct Fields: ParsableArguments {
        @Option(help: "ADDRESS:PORT or ADDRESS:LOW-HIGH, optionally ,WEIGHT (repeat for several origins).") var origin: [String] = []
        @Option(help: "round_robin, least_connections, hash or random_two.") var loadBalancing: String?
        @Option(help: "off, v1, v2 (TCP), v2 or simple (UDP).") var proxyProtocol: String?
        @Option(help: "An access rule, allow:CIDR or block:CIDR, in order (repeat; the first match decides; default allow).") var rule: [String] = []
        @Option(help: "Seconds without traffic before a connection or session closes.") var idleTimeout: Int?
        @Option(help: "Most concurrent connections (UDP: sessions) per client address.") var maxConnections: Int?
        @Option(help: "Most new connections per second per client address.") var newConnectionsPerSecond: Int?
        @Option(parsing: .upToNextOption, help: "Only these locations (IDs).") var locations: [String] = []
        @Option(help: "The edge address to listen on (default: every address).") var edgeAddress: String?

        func body() throws -> JSONBody {
            var body = JSONBody()
            if !origin.isEmpty {
                body.set("origins", JSONValue.array(try origin.map { text in
                    let parts = text.split(separator: ",")
                    guard let target = parts.first, let colon = target.lastIndex(of: ":") else {
                        throw ValidationError("--origin '\(text)' is not ADDRESS:PORT[,WEIGHT]")
                    }
                    var object: [String: JSONValue] = [
                        "address": .string(target[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))),
                        "port": .string(String(target[target.index(after: colon)...])),
                    ]
                    if parts.count == 2 {
                        guard let weight = Int(parts[1]) else { throw ValidationError("--origin '\(text)': the weight is a number") }
                        object["weight"] = .number(Double(weight))
                    }
                    return .object(object)
                }))
            }
            body.set("load_balancing", loadBalancing)
            body.set("proxy_protocol", proxyProtocol)
            if !rule.isEmpty {
                body.set("ip_rules", JSONValue.array(try rule.map { text in
                    let parts = text.split(separator: ":", maxSplits: 1)
                    guard parts.count == 2 else { throw ValidationError("--rule '\(text)' is not allow:CIDR or block:CIDR") }
                    return .object(["action": .string(String(parts[0])), "cidr": .string(String(parts[1]))])
                }))
            }
            body.set("idle_timeout", idleTimeout)
            if maxConnections != nil || newConnectionsPerSecond != nil {
                var limits: [String: JSONValue] = [:]
                if let maxConnections { limits["max_connections"] = .number(Double(maxConnections)) }
                if let newConnectionsPerSecond { limits["new_connections_per_second"] = .number(Double(newConnectionsPerSecond)) }
                body.set("source_limits", JSONValue.object(limits))
            }
            if !locations.isEmpty { body.set("locations", JSONValue.array(locations.map(JSONValue.string))) }
            body.set("edge_address", edgeAddress)
            return body
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List apps.")
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("apps")
            try await options.run { try options.show(try await $0.send(.GET, path), as: SpectrumApp.self, table: AppsCommand.table) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an app.", discussion: "Example: moat apps create minecraft --tcp 25565 --origin 192.0.2.10:25565")
        @Argument(help: "App name.") var name: String
        @Option(help: "TCP port or range on the edges.") var tcp: String?
        @Option(help: "UDP port or range on the edges.") var udp: String?
        @OptionGroup var fields: Fields
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions

        func validate() throws {
            guard (tcp == nil) != (udp == nil) else { throw ValidationError("give exactly one of --tcp PORTS and --udp PORTS") }
        }

        func run() async throws {
            var body = try fields.body()
            body.set("name", name)
            body.set("protocol", tcp != nil ? "tcp" : "udp")
            body.set("ports", tcp ?? udp)
            let path = try account.path("apps")
            try await options.run { try options.show(try await $0.send(.POST, path, json: body.value), as: SpectrumApp.self, table: AppsCommand.table) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one app.")
        @Argument(help: "App ID.") var id: String
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("apps/\(id)")
            try await options.run { try options.show(try await $0.send(.GET, path), as: SpectrumApp.self, table: AppsCommand.table) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change an app; open connections keep going.")
        @Argument(help: "App ID.") var id: String
        @Option(help: "New ports on the edges.") var ports: String?
        @OptionGroup var fields: Fields
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            var body = try fields.body()
            body.set("ports", ports)
            let path = try account.path("apps/\(id)")
            try await options.run { try options.show(try await $0.send(.PATCH, path, json: body.value), as: SpectrumApp.self, table: AppsCommand.table) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an app; the edges stop accepting and drain its connections.")
        @Argument(help: "App ID.") var id: String
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("apps/\(id)")
            try await options.run { options.showDeleted("app \(id)", try await $0.send(.DELETE, path)) }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Whether each edge of the app's locations serves it, and why not.")
        @Argument(help: "App ID.") var id: String
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("apps/\(id)/status")
            try await options.run {
                try options.show(try await $0.send(.GET, path), as: SpectrumAppStatus.self) { statuses in
                    Table(["EDGE", "LOCATION", "SERVED", "REPORTED", "REASON"], statuses.flatMap { status in
                        status.edges.map { [$0.edgeID, $0.location, $0.served ? "yes" : "no", $0.reportedAt.cell, $0.reason ?? ""] }
                    })
                }
            }
        }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The app's event log: one line per finished connection or UDP session, newest first.")
        @Argument(help: "App ID.") var id: String
        @Option(help: "How many (1-1000).") var limit: Int = 50
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("apps/\(id)/events") + "?limit=\(limit)"
            try await options.run {
                try options.show(try await $0.send(.GET, path), as: ProxyEvent.self) { events in
                    Table(["START", "LOCATION", "CLIENT", "ORIGIN", "FROM CLIENT", "TO CLIENT", "DURATION", "STATUS"], events.map { event in
                        [event.start.cell, event.location ?? "", "\(event.clientAddress):\(event.clientPort)",
                         event.originAddress.map { "\($0):\(event.originPort ?? 0)" } ?? "-", String(event.bytesFromClient), String(event.bytesToClient),
                         "\(event.durationMs) ms", String(event.status.rawValue)]
                    })
                }
            }
        }
    }
}
