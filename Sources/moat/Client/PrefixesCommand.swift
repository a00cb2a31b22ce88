import ArgumentParser
import MoatClient
import MoatModel

struct PrefixesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prefixes", abstract: "An account's BYOIP prefixes: onboarding, approval, advertisement.",
        subcommands: [List.self, Create.self, Show.self, Update.self, Delete.self])

    static func table(_ items: [Prefix]) -> Table {
        Table(["ID", "CIDR", "STATUS", "ADVERTISED", "ORIGIN AS", "DESCRIPTION"],
              items.map { [$0.id, $0.cidr.description, $0.status.rawValue, $0.advertised ? "yes" : "no", $0.originASN.cell, $0.description.cell] })
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List prefixes.")
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("prefixes")
            try await options.run { try options.show(try await $0.send(.GET, path), as: Prefix.self, table: PrefixesCommand.table) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Onboard a prefix (it stays pending until the operator approves it).",
                                                        discussion: "Example: moat prefixes create 203.0.113.0/24 --asn 64500 --description 'web'")
        @Argument(help: "The prefix, e.g. 203.0.113.0/24.") var cidr: String
        @Option(help: "Origin AS number.") var asn: Int?
        @Option(help: "What the prefix is.") var description: String?
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("prefixes")
            var body = JSONBody()
            body.set("cidr", cidr)
            body.set("origin_asn", asn)
            body.set("description", description)
            try await options.run { try options.show(try await $0.send(.POST, path, json: body.value), as: Prefix.self, table: PrefixesCommand.table) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one prefix.")
        @Argument(help: "Prefix ID.") var id: String
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("prefixes/\(id)")
            try await options.run { try options.show(try await $0.send(.GET, path), as: Prefix.self, table: PrefixesCommand.table) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Advertise or withdraw a prefix, or (operator) approve it.",
                                                        discussion: "Examples: moat prefixes update ID --status approved; moat prefixes update ID --advertised true")
        @Argument(help: "Prefix ID.") var id: String
        @Option(help: "true to announce the prefix from every edge, false to withdraw it.") var advertised: Bool?
        @Option(help: "pending, approved or rejected (operator only).") var status: String?
        @Option(help: "Origin AS number.") var asn: Int?
        @Option(help: "What the prefix is.") var description: String?
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("prefixes/\(id)")
            var body = JSONBody()
            body.set("advertised", advertised)
            body.set("status", status)
            body.set("origin_asn", asn)
            body.set("description", description)
            guard !body.isEmpty else { throw ValidationError("nothing to change: pass --advertised, --status, --asn or --description") }
            try await options.run { try options.show(try await $0.send(.PATCH, path, json: body.value), as: Prefix.self, table: PrefixesCommand.table) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Offboard a prefix.")
        @Argument(help: "Prefix ID.") var id: String
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("prefixes/\(id)")
            try await options.run { options.showDeleted("prefix \(id)", try await $0.send(.DELETE, path)) }
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "Who changed what, and when (newest first).")
    @Option(help: "Only this account's changes (operator token).") var account: String?
    @Option(help: "How many records.") var limit: Int = 50
    @OptionGroup var options: ClientOptions

    func run() async throws {
        var path = "/v1/audit?limit=\(limit)"
        if let account { path += "&account=\(account)" }
        try await options.run { client in
            try options.show(try await client.send(.GET, path), as: AuditEntry.self) { items in
                Table(["ID", "AT", "ACTOR", "ACCOUNT", "ACTION", "OBJECT", "VERSION", "SUMMARY"],
                      items.map { [String($0.id), $0.at.cell, $0.actor, $0.accountID.cell, $0.action, $0.objectID.cell, String($0.version), $0.summary.cell] })
            }
        }
    }
}
