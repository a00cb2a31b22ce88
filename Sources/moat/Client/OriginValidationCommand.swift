import ArgumentParser
import Foundation
import MoatClient
import MoatModel

struct OriginValidationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "origin-validation",
        abstract: "ROA and IRR data that onboarded prefixes are checked against (operator token).",
        discussion: """
        Where ROA data is loaded, a prefix is refused on onboarding, on an origin_asn change and on approval when it is RPKI invalid (RFC 6811): ROAs cover it but none authorises its origin AS at its length. A prefix no ROA covers is accepted, pending approval. Where IRR data is loaded, a route object for exactly the prefix must name its origin AS. Loading replaces the source's data and lists the onboarded prefixes it now refuses; `clear` switches it off.

        Examples:
          routinator vrps --format csv > vrps.csv
          moat origin-validation roas import vrps.csv
          moat origin-validation irr import routes.txt
          moat origin-validation show
          moat origin-validation clear irr
        """,
        subcommands: [Show.self, ROAs.self, IRR.self, Clear.self])

    static func table(_ status: OriginValidationStatus) -> Table {
        let rows: [(String, OriginDataSummary?)] = [("roas", status.roas), ("irr", status.irr)]
        return Table(["SOURCE", "CHECKS", "ENTRIES", "IPV4", "IPV6", "LOADED AT", "LOADED BY"], rows.map { name, summary in
            guard let summary else { return [name, "off", "-", "-", "-", "-", "-"] }
            return [name, "on", String(summary.entries), String(summary.ipv4), String(summary.ipv6), summary.loadedAt.cell, summary.loadedBy]
        })
    }

    static func conflictsTable(_ conflicts: [OriginConflict]) -> Table {
        Table(["PREFIX", "CIDR", "ACCOUNT", "STATUS", "REASON"], conflicts.map { [$0.prefixID, $0.cidr.description, $0.accountID, $0.status.rawValue, $0.reason] })
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show which sources are loaded, with how many entries.")
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { client in
                let response = try await client.send(.GET, "/v1/origin-validation")
                if options.json { print(String(decoding: response.body, as: UTF8.self)); return }
                OriginValidationCommand.table(try client.decode(OriginValidationStatus.self, response)).print()
            }
        }
    }

    struct ROAs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "roas", abstract: "ROA data (RPKI).", subcommands: [Import.self])

        struct Import: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Replace the ROA data with a CSV file and switch ROA checks on.",
                discussion: """
                Two CSV forms are read, with or without a header line:
                  prefix,max_length,asn                   203.0.113.0/24,24,AS64500
                  ASN,IP Prefix,Max Length,Trust Anchor   AS13335,1.1.1.0/24,24,apnic

                The second is what Routinator (--format csv) and rpki-client (-c) export. AS numbers read AS64500 or 64500; '#' lines are comments. A bad line refuses the whole file, naming the line, and the ROAs loaded before stay in force.
                """)
            @Argument(help: "The CSV file, or - for standard input.") var file: String
            @OptionGroup var options: ClientOptions
            func run() async throws {
                try await OriginValidationCommand.upload(try readInput(file), to: "/v1/origin-validation/roas", contentType: "text/csv", options: options)
            }
        }
    }

    struct IRR: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "irr", abstract: "IRR route objects (RPSL).", subcommands: [Import.self])

        struct Import: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Replace the IRR data with RPSL route objects and switch IRR checks on.",
                discussion: """
                The file holds RPSL objects separated by blank lines, e.g. a registry dump or whois output; route: and route6: objects with their origin: are read, everything else is skipped. A prefix passes when a route object for exactly that prefix names its origin AS, as upstream prefix filters built from the IRR expect. A malformed route object refuses the whole file, naming the line; the data loaded before stays.
                """)
            @Argument(help: "The RPSL file, or - for standard input.") var file: String
            @OptionGroup var options: ClientOptions
            func run() async throws {
                try await OriginValidationCommand.upload(try readInput(file), to: "/v1/origin-validation/irr", contentType: "text/plain", options: options)
            }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Drop a source's data and switch its checks off.",
                                                        discussion: "Example: moat origin-validation clear roas")
        @Argument(help: "roas or irr.") var source: Source
        @OptionGroup var options: ClientOptions

        enum Source: String, ExpressibleByArgument, CaseIterable { case roas, irr }

        func run() async throws {
            let path = "/v1/origin-validation/\(source.rawValue)"
            try await options.run { options.showDeleted("the \(source.rawValue) data; its checks are off", try await $0.send(.DELETE, path)) }
        }
    }

    static func upload(_ data: Data, to path: String, contentType: String, options: ClientOptions) async throws {
        try await options.run { client in
            let response = try await client.send(.PUT, path, body: data, contentType: contentType, timeout: .minutes(5))
            if options.json { print(String(decoding: response.body, as: UTF8.self)); return }
            let summary = try client.decode(OriginDataSummary.self, response)
            print("loaded \(summary.entries) \(summary.entries == 1 ? "entry" : "entries") (\(summary.ipv4) IPv4, \(summary.ipv6) IPv6)")
            let conflicts = summary.invalidPrefixes ?? []
            if !conflicts.isEmpty {
                print("\nonboarded prefixes this data refuses (they stay as they are; approval is refused while they fail):")
                conflictsTable(conflicts).print()
            }
        }
    }
}

/// The bytes of `path`, or of standard input for `-`.
func readInput(_ path: String) throws -> Data {
    if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw ArgumentParser.ValidationError("cannot read \(path)")
    }
    return data
}
