import ArgumentParser
import MoatClient
import MoatModel

struct RoutesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routes", abstract: "An account's static routes: which tunnel carries which prefix.",
        subcommands: [List.self, Create.self, Show.self, Update.self, Delete.self])

    static func table(_ items: [Route]) -> Table {
        Table(["ID", "PREFIX", "NEXT HOP", "TUNNEL", "PRIORITY", "WEIGHT", "SCOPE"],
              items.map { route in
                  let scope = route.scope.isGlobal ? "all" : (route.scope.locations + route.scope.regions).joined(separator: ",")
                  return [route.id, route.prefix.description, route.nexthop.description, route.tunnelID, String(route.priority), String(route.weight), scope]
              })
    }

    struct Fields: ParsableArguments {
        @Option(help: "The customer-side address of a tunnel.") var nexthop: String?
        @Option(help: "Lower wins (0-1000000).") var priority: Int?
        @Option(help: "Share among equal priorities (1-256, default 100).") var weight: Int?
        @Option(parsing: .upToNextOption, help: "Only these locations (IDs).") var locations: [String] = []
        @Option(parsing: .upToNextOption, help: "Only these regions (codes).") var regions: [String] = []
        @Flag(help: "Clear the scope: every location.") var global = false
        @Option(help: "What the route is for.") var description: String?

        func body(prefix: String?) -> JSONBody {
            var body = JSONBody()
            body.set("prefix", prefix)
            body.set("nexthop", nexthop)
            body.set("priority", priority)
            body.set("weight", weight)
            body.set("description", description)
            if global {
                body.set("scope", JSONValue.object([:]))
            } else if !locations.isEmpty || !regions.isEmpty {
                body.set("scope", JSONValue.object(["locations": .array(locations.map(JSONValue.string)), "regions": .array(regions.map(JSONValue.string))]))
            }
            return body
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List routes.")
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("routes")
            try await options.run { try options.show(try await $0.send(.GET, path), as: Route.self, table: RoutesCommand.table) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a route.",
                                                        discussion: "Example: moat routes create 203.0.113.0/24 --nexthop 10.200.0.1 --priority 100")
        @Argument(help: "Destination prefix, inside one of the account's prefixes.") var prefix: String
        @OptionGroup var fields: Fields
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("routes")
            let body = fields.body(prefix: prefix)
            try await options.run { try options.show(try await $0.send(.POST, path, json: body.value), as: Route.self, table: RoutesCommand.table) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one route.")
        @Argument(help: "Route ID.") var id: String
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("routes/\(id)")
            try await options.run { try options.show(try await $0.send(.GET, path), as: Route.self, table: RoutesCommand.table) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a route.")
        @Argument(help: "Route ID.") var id: String
        @Option(help: "New destination prefix.") var prefix: String?
        @OptionGroup var fields: Fields
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("routes/\(id)")
            let body = fields.body(prefix: prefix)
            guard !body.isEmpty else { throw ValidationError("nothing to change: pass at least one field") }
            try await options.run { try options.show(try await $0.send(.PATCH, path, json: body.value), as: Route.self, table: RoutesCommand.table) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a route.")
        @Argument(help: "Route ID.") var id: String
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("routes/\(id)")
            try await options.run { options.showDeleted("route \(id)", try await $0.send(.DELETE, path)) }
        }
    }
}
