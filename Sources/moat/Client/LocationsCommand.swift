import ArgumentParser
import MoatClient
import MoatModel

struct LocationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "locations", abstract: "Edge locations (the operator writes).",
        subcommands: [List.self, Create.self, Show.self, Update.self, Delete.self])

    static func table(_ items: [Location]) -> Table {
        Table(["ID", "NAME", "REGION", "CREATED"], items.map { [$0.id, $0.name, $0.region, $0.createdAt.cell] })
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List locations.")
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { try options.show(try await $0.send(.GET, "/v1/locations"), as: Location.self, table: LocationsCommand.table) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a location.", discussion: "Example: moat locations create ams1 --name Amsterdam --region WEUR")
        @Argument(help: "Location ID, e.g. ams1.") var id: String
        @Option(help: "Display name.") var name: String?
        @Option(help: "Region code, e.g. WEUR.") var region: String
        @OptionGroup var options: ClientOptions
        func run() async throws {
            var body = JSONBody()
            body.set("id", id)
            body.set("name", name)
            body.set("region", region)
            try await options.run { try options.show(try await $0.send(.POST, "/v1/locations", json: body.value), as: Location.self, table: LocationsCommand.table) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one location.")
        @Argument(help: "Location ID.") var id: String
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { try options.show(try await $0.send(.GET, "/v1/locations/\(id)"), as: Location.self, table: LocationsCommand.table) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a location's name or region.")
        @Argument(help: "Location ID.") var id: String
        @Option(help: "Display name.") var name: String?
        @Option(help: "Region code.") var region: String?
        @OptionGroup var options: ClientOptions
        func run() async throws {
            var body = JSONBody()
            body.set("name", name)
            body.set("region", region)
            try await options.run { try options.show(try await $0.send(.PATCH, "/v1/locations/\(id)", json: body.value), as: Location.self, table: LocationsCommand.table) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a location without edges.")
        @Argument(help: "Location ID.") var id: String
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { options.showDeleted("location \(id)", try await $0.send(.DELETE, "/v1/locations/\(id)")) }
        }
    }
}

struct EdgesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edges", abstract: "Edge servers: enrolment and status (operator token).",
        subcommands: [List.self, Create.self, Show.self, Delete.self])

    static func table(_ items: [EdgeInfo]) -> Table {
        let showToken = items.contains { $0.enrollmentToken != nil }
        return Table(["ID", "LOCATION", "NAME", "STATUS", "CONNECTED", "APPLIED", "AGENT", "LAST SEEN", "ERROR"] + (showToken ? ["ENROLMENT TOKEN"] : []),
                     items.map { edge in
                         [edge.id, edge.location, edge.name.cell, edge.status.rawValue, edge.connected ? "yes" : "no",
                          edge.appliedVersion.cell, edge.agentVersion.cell, edge.lastSeen?.cell ?? "-", edge.lastError.cell]
                             + (showToken ? [edge.enrollmentToken.cell] : [])
                     })
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List edges with their applied config version and last contact.")
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { try options.show(try await $0.send(.GET, "/v1/edges"), as: EdgeInfo.self, table: EdgesCommand.table) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a one-time enrolment token for an edge of a location.",
                                                        discussion: "Then run: moat edge --core URL --enroll TOKEN --location ID")
        @Option(help: "Location ID.") var location: String
        @Option(help: "A name for the edge.") var name: String?
        @OptionGroup var options: ClientOptions
        func run() async throws {
            var body = JSONBody()
            body.set("location", location)
            body.set("name", name)
            try await options.run { try options.show(try await $0.send(.POST, "/v1/edges", json: body.value), as: EdgeInfo.self, table: EdgesCommand.table) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one edge.")
        @Argument(help: "Edge ID.") var id: String
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { try options.show(try await $0.send(.GET, "/v1/edges/\(id)"), as: EdgeInfo.self, table: EdgesCommand.table) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an edge and revoke its credential.")
        @Argument(help: "Edge ID.") var id: String
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { options.showDeleted("edge \(id)", try await $0.send(.DELETE, "/v1/edges/\(id)")) }
        }
    }
}
