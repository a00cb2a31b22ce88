import ArgumentParser
import Firewall
import Foundation
import MoatClient
import MoatModel

struct FirewallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "firewall", abstract: "An account's firewall: rules in the rule language, and IP lists.",
        discussion: """
        Rules are Wireshark-like expressions, e.g.
          ip.src in {198.51.100.0/24 203.0.113.7} and tcp.dstport in {22 3389 8000..8100}
        with an action: block, allow, log or rate_limit. The first matching block/allow wins;
        the default is allow.
        """,
        subcommands: [Check.self, Rules.self, Lists.self, Test.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check an expression locally; print where it is wrong.",
            discussion: "Example: moat firewall check 'tcp.dstport == 22 and ip.src in $office'")
        @Argument(help: "The expression.") var expression: String
        @Option(parsing: .upToNextOption, help: "List names the expression may use as $name.") var lists: [String] = []

        func run() throws {
            do {
                let checked = try Checker(lists: Set(lists)).check(expression)
                _ = checked
                print("ok")
            } catch {
                FileHandle.standardError.write(Data((error.rendered(in: expression) + "\n").utf8))
                throw ExitCode(1)
            }
        }
    }

    static func rulesTable(_ items: [FirewallRuleWithHits]) -> Table {
        Table(["POS", "ID", "ACTION", "ENABLED", "HITS", "EXPRESSION", "DESCRIPTION"],
              items.map { listed in
                  let rule = listed.rule
                  let action = rule.rateLimit.map { "rate_limit \($0.packetsPerSecond)/s burst \($0.burst)" } ?? rule.action.rawValue
                  let hits = listed.hits.isEmpty ? "-" : listed.hits.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                  return [String(rule.position), rule.id, action, rule.enabled ? "yes" : "no", hits, rule.expression, rule.description.cell]
              })
    }

    struct RuleFields: ParsableArguments {
        @Option(help: "block, allow, log or rate_limit.") var action: String?
        @Option(help: "For rate_limit: packets per second per source address.") var rate: Int?
        @Option(help: "For rate_limit: burst in packets (default: the rate).") var burst: Int?
        @Option(help: "Place in the ruleset (1 = first; default: last).") var position: Int?
        @Option(help: "Enable or disable the rule (true/false).") var enabled: Bool?
        @Option(help: "What the rule is for.") var description: String?

        func body(expression: String?) -> JSONBody {
            var body = JSONBody()
            body.set("expression", expression)
            body.set("action", action)
            body.set("position", position)
            body.set("enabled", enabled)
            body.set("description", description)
            if let rate {
                var limit = JSONBody()
                limit.set("packets_per_second", rate)
                limit.set("burst", burst)
                body.set("rate_limit", limit.value)
            }
            return body
        }
    }

    struct Rules: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rules", abstract: "The account's ordered rules.",
            subcommands: [List.self, Create.self, Show.self, Update.self, Delete.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List rules in order.")
            @OptionGroup var account: AccountOption
            @OptionGroup var options: ClientOptions
            func run() async throws {
                let path = try account.path("firewall/rules")
                try await options.run { try options.show(try await $0.send(.GET, path), as: FirewallRuleWithHits.self, table: FirewallCommand.rulesTable) }
            }
        }

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Add a rule.",
                discussion: "Example: moat firewall rules create 'udp.srcport == 123 and ip.len > 400' --action block")
            @Argument(help: "The expression.") var expression: String
            @OptionGroup var fields: RuleFields
            @OptionGroup var account: AccountOption
            @OptionGroup var options: ClientOptions
            func run() async throws {
                let path = try account.path("firewall/rules")
                var body = fields.body(expression: expression)
                if fields.action == nil { body.set("action", "block") }
                try await options.run(expression: expression) { try options.show(try await $0.send(.POST, path, json: body.value), as: FirewallRuleWithHits.self, table: FirewallCommand.rulesTable) }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show one rule.")
            @Argument(help: "Rule ID.") var id: String
            @OptionGroup var account: AccountOption
            @OptionGroup var options: ClientOptions
            func run() async throws {
                let path = try account.path("firewall/rules/\(id)")
                try await options.run { try options.show(try await $0.send(.GET, path), as: FirewallRuleWithHits.self, table: FirewallCommand.rulesTable) }
            }
        }

        struct Update: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Change, move, enable or disable a rule.")
            @Argument(help: "Rule ID.") var id: String
            @Option(help: "New expression.") var expression: String?
            @OptionGroup var fields: RuleFields
            @OptionGroup var account: AccountOption
            @OptionGroup var options: ClientOptions
            func run() async throws {
                let path = try account.path("firewall/rules/\(id)")
                let body = fields.body(expression: expression)
                guard !body.isEmpty else { throw ValidationError("nothing to change: pass at least one field") }
                try await options.run(expression: expression) { try options.show(try await $0.send(.PATCH, path, json: body.value), as: FirewallRuleWithHits.self, table: FirewallCommand.rulesTable) }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a rule.")
            @Argument(help: "Rule ID.") var id: String
            @OptionGroup var account: AccountOption
            @OptionGroup var options: ClientOptions
            func run() async throws {
                let path = try account.path("firewall/rules/\(id)")
                try await options.run { options.showDeleted("rule \(id)", try await $0.send(.DELETE, path)) }
            }
        }
    }

    static func listsTable(_ items: [FirewallList]) -> Table {
        Table(["ID", "NAME", "ITEMS", "DESCRIPTION"], items.map { [$0.id, $0.name, String($0.items.count), $0.description.cell] })
    }

    struct Lists: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "lists", abstract: "The account's IP lists, used in rules as $name.",
            subcommands: [List.self, Create.self, Show.self, Update.self, Delete.self])

        /// Entries from arguments and, with --file, one per line (# comments allowed).
        struct Items: ParsableArguments {
            @Option(parsing: .upToNextOption, help: "Addresses or prefixes.") var item: [String] = []
            @Option(help: "A file with one address or prefix per line.") var file: String?

            func values() throws -> [String]? {
                var values = item
                if let file {
                    let text = try String(contentsOfFile: file, encoding: .utf8)
                    values += text.split(whereSeparator: \.isNewline).map { $0.split(separator: "#").first.map(String.init) ?? "" }
                        .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                }
                return item.isEmpty && file == nil ? nil : values
            }
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List IP lists.")
            @OptionGroup var account: AccountOption
            @OptionGroup var options: ClientOptions
            func run() async throws {
                let path = try account.path("firewall/lists")
                try await options.run { try options.show(try await $0.send(.GET, path), as: FirewallList.self, table: FirewallCommand.listsTable) }
            }
        }

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Create a list.", discussion: "Example: moat firewall lists create office --item 198.51.100.0/24 203.0.113.7")
            @Argument(help: "List name.") var name: String
            @OptionGroup var items: Items
            @Option(help: "What the list is.") var description: String?
            @OptionGroup var account: AccountOption
            @OptionGroup var options: ClientOptions
            func run() async throws {
                let path = try account.path("firewall/lists")
                var body = JSONBody()
                body.set("name", name)
                body.set("description", description)
                body.set("items", try items.values().map { JSONValue.array($0.map(JSONValue.string)) })
                try await options.run { try options.show(try await $0.send(.POST, path, json: body.value), as: FirewallList.self, table: FirewallCommand.listsTable) }
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show a list with its entries.")
            @Argument(help: "List ID.") var id: String
            @OptionGroup var account: AccountOption
            @OptionGroup var options: ClientOptions
            func run() async throws {
                let path = try account.path("firewall/lists/\(id)")
                try await options.run { client in
                    let response = try await client.send(.GET, path)
                    if options.json { print(String(decoding: response.body, as: UTF8.self)); return }
                    let list = try client.decode(FirewallList.self, response)
                    FirewallCommand.listsTable([list]).print()
                    for item in list.items { print("  \(item)") }
                }
            }
        }

        struct Update: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Rename a list or replace its entries.")
            @Argument(help: "List ID.") var id: String
            @Option(help: "New name.") var name: String?
            @OptionGroup var items: Items
            @Option(help: "What the list is.") var description: String?
            @OptionGroup var account: AccountOption
            @OptionGroup var options: ClientOptions
            func run() async throws {
                let path = try account.path("firewall/lists/\(id)")
                var body = JSONBody()
                body.set("name", name)
                body.set("description", description)
                body.set("items", try items.values().map { JSONValue.array($0.map(JSONValue.string)) })
                guard !body.isEmpty else { throw ValidationError("nothing to change: pass --name, --item, --file or --description") }
                try await options.run { try options.show(try await $0.send(.PATCH, path, json: body.value), as: FirewallList.self, table: FirewallCommand.listsTable) }
            }
        }

        struct Delete: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Delete a list no rule uses.")
            @Argument(help: "List ID.") var id: String
            @OptionGroup var account: AccountOption
            @OptionGroup var options: ClientOptions
            func run() async throws {
                let path = try account.path("firewall/lists/\(id)")
                try await options.run { options.showDeleted("list \(id)", try await $0.send(.DELETE, path)) }
            }
        }
    }
}
