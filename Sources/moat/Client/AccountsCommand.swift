import ArgumentParser
import MoatClient
import MoatModel

struct AccountsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts", abstract: "Tenants (operator token).",
        subcommands: [List.self, Create.self, Show.self, Update.self, Delete.self])

    static func table(_ items: [Account]) -> Table {
        Table(["ID", "NAME", "CREATED"], items.map { [$0.id, $0.name, $0.createdAt.cell] })
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { try options.show(try await $0.send(.GET, "/v1/accounts"), as: Account.self, table: AccountsCommand.table) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account.")
        @Argument(help: "The account's name.") var name: String
        @OptionGroup var options: ClientOptions
        func run() async throws {
            var body = JSONBody()
            body.set("name", name)
            try await options.run { try options.show(try await $0.send(.POST, "/v1/accounts", json: body.value), as: Account.self, table: AccountsCommand.table) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one account.")
        @Argument(help: "Account ID.") var id: String
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { try options.show(try await $0.send(.GET, "/v1/accounts/\(id)"), as: Account.self, table: AccountsCommand.table) }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rename an account.")
        @Argument(help: "Account ID.") var id: String
        @Option(help: "New name.") var name: String
        @OptionGroup var options: ClientOptions
        func run() async throws {
            var body = JSONBody()
            body.set("name", name)
            try await options.run { try options.show(try await $0.send(.PATCH, "/v1/accounts/\(id)", json: body.value), as: Account.self, table: AccountsCommand.table) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an account that owns no prefixes, tunnels or routes.")
        @Argument(help: "Account ID.") var id: String
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { options.showDeleted("account \(id)", try await $0.send(.DELETE, "/v1/accounts/\(id)")) }
        }
    }
}

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "An account's API tokens (operator token).",
        subcommands: [List.self, Create.self, Delete.self])

    static func table(_ items: [TokenInfo]) -> Table {
        let showSecret = items.contains { $0.token != nil }
        return Table(["ID", "SCOPE", "ACCOUNT", "DESCRIPTION", "CREATED"] + (showSecret ? ["TOKEN"] : []),
                     items.map { [$0.id, $0.scope.rawValue, $0.accountID.cell, $0.description.cell, $0.createdAt.cell] + (showSecret ? [$0.token.cell] : []) })
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an account's tokens (never their secrets).")
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("tokens")
            try await options.run { try options.show(try await $0.send(.GET, path), as: TokenInfo.self, table: TokensCommand.table) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token; its secret is shown once.")
        @OptionGroup var account: AccountOption
        @Option(help: "read or write.") var scope: String = "write"
        @Option(help: "What the token is for.") var description: String?
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("tokens")
            var body = JSONBody()
            body.set("scope", scope)
            body.set("description", description)
            try await options.run { try options.show(try await $0.send(.POST, path, json: body.value), as: TokenInfo.self, table: TokensCommand.table) }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token.")
        @Argument(help: "Token ID.") var id: String
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            let path = try account.path("tokens/\(id)")
            try await options.run { options.showDeleted("token \(id)", try await $0.send(.DELETE, path)) }
        }
    }
}
