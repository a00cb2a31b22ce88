import ArgumentParser
import MoatClient
import MoatModel

struct TunnelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tunnels", abstract: "An account's GRE tunnels to its routers, and their health.",
        subcommands: [List.self, Create.self, Show.self, Update.self, Delete.self, Health.self, History.self])

    static func table(_ items: [Tunnel]) -> Table {
        Table(["ID", "NAME", "CUSTOMER ENDPOINT", "MOAT ENDPOINT", "INTERFACE", "NEXT HOP", "MTU", "TTL", "HEALTH CHECK"],
              items.map { tunnel in
                  let check = tunnel.healthCheck
                  return [tunnel.id, tunnel.name, tunnel.customerEndpoint.description, tunnel.moatEndpoint.description,
                          tunnel.interfaceAddress.description, tunnel.customerAddress.description, String(tunnel.mtu), String(tunnel.ttl),
                          check.enabled ? "\(check.type.rawValue)/\(check.direction.rawValue)/\(check.rate.rawValue)" : "off"]
              })
    }

    /// Flags shared by create and update.
    struct Fields: ParsableArguments {
        @Option(help: "The customer router's public address (outer destination).") var customerEndpoint: String?
        @Option(help: "Moat's tunnel address (outer source).") var moatEndpoint: String?
        @Option(help: "Inside addresses: an IPv4 /31 (edge even, customer odd) or /30.") var interfaceAddress: String?
        @Option(help: "Outer TTL (default 64).") var ttl: Int?
        @Option(help: "Tunnel MTU, 576-1476 (default 1476).") var mtu: Int?
        @Option(help: "What the tunnel is.") var description: String?
        @Option(help: "Health checks on or off.") var healthCheck: Bool?
        @Option(help: "Health check style: reply or request.") var healthCheckType: String?
        @Option(help: "Health check direction: unidirectional or bidirectional.") var healthCheckDirection: String?
        @Option(help: "Health check rate: low, mid or high.") var healthCheckRate: String?
        @Option(help: "Address the probes target.") var healthCheckTarget: String?

        func body(name: String?) -> JSONBody {
            var body = JSONBody()
            body.set("name", name)
            body.set("customer_endpoint", customerEndpoint)
            body.set("moat_endpoint", moatEndpoint)
            body.set("interface_address", interfaceAddress)
            body.set("ttl", ttl)
            body.set("mtu", mtu)
            body.set("description", description)
            var check = JSONBody()
            check.set("enabled", healthCheck)
            check.set("type", healthCheckType)
            check.set("direction", healthCheckDirection)
            check.set("rate", healthCheckRate)
            check.set("target", healthCheckTarget)
            if !check.isEmpty { body.set("health_check", check.value) }
            return body
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tunnels.")
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("tunnels")
            try await options.run { try options.show(try await $0.send(.GET, path), as: Tunnel.self, table: TunnelsCommand.table) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tunnel.",
            discussion: "Example: moat tunnels create gre1 --customer-endpoint 203.0.113.1 --moat-endpoint 192.0.2.1 --interface-address 10.200.0.0/31")
        @Argument(help: "Tunnel name (at most 15 characters).") var name: String
        @OptionGroup var fields: Fields
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("tunnels")
            let body = fields.body(name: name)
            try await options.run { try options.show(try await $0.send(.POST, path, json: body.value), as: Tunnel.self, table: TunnelsCommand.table) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one tunnel.")
        @Argument(help: "Tunnel ID.") var id: String
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("tunnels/\(id)")
            try await options.run { try options.show(try await $0.send(.GET, path), as: Tunnel.self, table: TunnelsCommand.table) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a tunnel.")
        @Argument(help: "Tunnel ID.") var id: String
        @Option(help: "New name.") var name: String?
        @OptionGroup var fields: Fields
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("tunnels/\(id)")
            let body = fields.body(name: name)
            guard !body.isEmpty else { throw ValidationError("nothing to change: pass at least one field") }
            try await options.run { try options.show(try await $0.send(.PATCH, path, json: body.value), as: Tunnel.self, table: TunnelsCommand.table) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a tunnel that no route uses.")
        @Argument(help: "Tunnel ID.") var id: String
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("tunnels/\(id)")
            try await options.run { options.showDeleted("tunnel \(id)", try await $0.send(.DELETE, path)) }
        }
    }
}
