import ArgumentParser
import Foundation
import MoatClient
import MoatModel

/// Where the API is and who is calling; shared by every client command.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "API URL (default: $MOAT_URL or http://127.0.0.1:7480).")
    var url: String?

    @Option(name: .long, help: "API token (default: $MOAT_TOKEN).")
    var token: String?

    @Flag(name: .long, help: "Print the API's JSON instead of a table.")
    var json = false

    var client: APIClient {
        let environment = ProcessInfo.processInfo.environment
        return APIClient(baseURL: url ?? environment["MOAT_URL"] ?? "http://127.0.0.1:7480",
                         token: token ?? environment["MOAT_TOKEN"])
    }

    /// Runs one API call; an API error is printed with its field and exits 1. When the error
    /// points into `expression`, the expression is shown with a caret under the fault.
    func run(expression: String? = nil, _ body: (APIClient) async throws -> Void) async throws {
        do {
            try await body(client)
        } catch let error as APIClientError {
            if let expression, let span = error.span {
                let prefix = String(decoding: expression.utf8.prefix(span.start), as: UTF8.self)
                let width = max(1, String(decoding: expression.utf8.dropFirst(span.start).prefix(span.length), as: UTF8.self).count)
                FileHandle.standardError.write(Data("  \(expression)\n  \(String(repeating: " ", count: prefix.count))\(String(repeating: "^", count: width))\n".utf8))
            }
            var line = "error: \(error.message)"
            if let field = error.field { line += " (field: \(field))" }
            line += " [\(error.code)\(error.status > 0 ? ", HTTP \(error.status)" : "")]"
            FileHandle.standardError.write(Data((line + "\n").utf8))
            throw ExitCode(1)
        }
    }

    /// Prints an answer: the raw JSON with --json, else the table.
    func show<T: Codable & Sendable>(_ response: APIResponse, as type: T.Type, table: ([T]) -> Table) throws {
        if json {
            print(String(decoding: response.body, as: UTF8.self))
            return
        }
        let decoder = MoatJSON.decoder()
        if let list = try? decoder.decode(ItemList<T>.self, from: response.body) {
            table(list.items).print()
        } else {
            table([try client.decode(T.self, response)]).print()
        }
    }

    func showDeleted(_ what: String, _ response: APIResponse) {
        if json { print("{}") } else { print("deleted \(what)") }
    }
}

/// The account that account-scoped commands act on.
struct AccountOption: ParsableArguments {
    @Option(name: .long, help: "Account ID (default: $MOAT_ACCOUNT).")
    var account: String?

    func resolved() throws -> String {
        guard let id = account ?? ProcessInfo.processInfo.environment["MOAT_ACCOUNT"], !id.isEmpty else {
            throw ValidationError("no account: pass --account ID or set MOAT_ACCOUNT")
        }
        return id
    }

    func path(_ suffix: String) throws -> String { "/v1/accounts/\(try resolved())/\(suffix)" }
}

/// Builds a JSON object from the flags a user set.
struct JSONBody {
    private(set) var fields: [String: JSONValue] = [:]

    mutating func set(_ key: String, _ value: String?) { if let value { fields[key] = .string(value) } }
    mutating func set(_ key: String, _ value: Int?) { if let value { fields[key] = .number(Double(value)) } }
    mutating func set(_ key: String, _ value: Bool?) { if let value { fields[key] = .bool(value) } }
    mutating func set(_ key: String, _ value: JSONValue?) { if let value { fields[key] = value } }

    var value: JSONValue { .object(fields) }
    var isEmpty: Bool { fields.isEmpty }
}
