import Foundation

/// The `nft` command: check and load rulesets from text, read state as JSON.
///
/// Rulesets go through a file (`nft -f`), which nft applies as one transaction.
package struct Nft: Sendable {
    /// Runs nft inside a network namespace (`ip netns exec NS nft …`) when set.
    package var namespace: String?
    package var timeout: Duration = .seconds(60)

    package init(namespace: String? = nil) {
        self.namespace = namespace
    }

    package static var isInstalled: Bool { Command.isInstalled("nft") }

    /// Parses and checks the ruleset in the kernel without applying it (`nft -c -f`).
    package func check(_ ruleset: String) throws {
        try withFile(ruleset) { path in try run(["-c", "-f", path]) }
    }

    /// Applies the ruleset atomically (`nft -f`).
    package func load(_ ruleset: String) throws {
        try withFile(ruleset) { path in try run(["-f", path]) }
    }

    /// `nft -j list table inet NAME`, or nil when the table does not exist.
    package func listTableJSON(_ table: String) throws -> Data? {
        let result = try command(["-j", "list", "table", "inet", table]).run()
        guard result.succeeded else {
            if result.stderr.contains("No such file or directory") { return nil }
            throw CommandError(result: result, code: .failed)
        }
        return Data(result.stdout.utf8)
    }

    /// Removes the table if it exists.
    package func deleteTable(_ table: String) throws {
        _ = try command(["delete", "table", "inet", table]).run()
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> CommandResult {
        try command(arguments).check()
    }

    func command(_ arguments: [String]) -> Command {
        if let namespace {
            return Command("ip", ["netns", "exec", namespace, "nft"] + arguments, timeout: timeout)
        }
        return Command("nft", arguments, timeout: timeout)
    }

    private func withFile<T>(_ text: String, _ body: (String) throws -> T) throws -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("moat-nft-\(getpid())-\(UUID().uuidString).nft").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }
}
