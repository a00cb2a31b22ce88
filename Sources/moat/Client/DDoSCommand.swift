import ArgumentParser
import Foundation
import MoatClient
import MoatModel

struct DDoSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ddos",
        abstract: "DDoS protection settings: managed rules, sampling, detection thresholds, mitigation.",
        discussion: """
        Every edge loads managed rules for traffic to approved prefixes (invalid and out-of-state packets, impossible TCP flags, fragments by policy, per-source SYN/UDP/ICMP limits, unanswered amplification source ports), samples one packet in N to its detector, and on an attack installs a drop rule for the attack's fingerprint until the attack is over plus the cool-down. The operator sets the defaults; an account overrides parts of them.

        Examples:
          moat ddos show
          moat ddos set --sample-rate 64 --pps 20000 --cooldown 120
          moat ddos account show --account acme
          moat ddos account set --account acme --body '{"thresholds": [{"prefix": "203.0.113.0/24", "packets_per_second": 5000}], "synproxy": [{"prefix": "203.0.113.10/32", "ports": [80, 443]}]}'
        """,
        subcommands: [Show.self, Set.self, AccountSettings.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the operator's settings (operator token).")
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { client in
                print(String(decoding: try await client.send(.GET, "/v1/ddos").body, as: UTF8.self))
            }
        }
    }

    struct Set: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change the operator's settings (operator token); options left out keep their value.",
            discussion: "Managed-rule fields go in --managed as JSON, e.g. --managed '{\"fragments\": \"drop\", \"udp_per_source\": 10000}'.")
        @Option(help: "Sample one packet in N (1-65535).") var sampleRate: Int?
        @Option(help: "Attack threshold per destination address, packets/s.") var pps: Int?
        @Option(help: "Attack threshold per destination address, bits/s.") var bps: Int?
        @Option(help: "Install drop rules on detection: true, or false to detect and report only.") var automatic: Bool?
        @Option(help: "Seconds a drop rule outlives its attack.") var cooldown: Int?
        @Option(help: "Install each location's mitigations at every location: true or false.") var pushToAllLocations: Bool?
        @Option(help: "Managed-rule fields as a JSON object.") var managed: String?
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { client in
                guard case .object(var body) = try client.decode(JSONValue.self, try await client.send(.GET, "/v1/ddos")) else { return }
                func merge(_ key: String, _ fields: [String: JSONValue?]) {
                    guard case .object(var object)? = body[key] else { return }
                    for (name, value) in fields { if let value { object[name] = value } }
                    body[key] = .object(object)
                }
                if let sampleRate { body["sample_rate"] = .number(Double(sampleRate)) }
                merge("detection", ["packets_per_second": pps.map { .number(Double($0)) }, "bits_per_second": bps.map { .number(Double($0)) }])
                merge("mitigation", ["automatic": automatic.map(JSONValue.bool), "cooldown": cooldown.map { .number(Double($0)) },
                                     "push_to_all_locations": pushToAllLocations.map(JSONValue.bool)])
                if let managed {
                    guard case .object(let fields) = try MoatJSON.decoder().decode(JSONValue.self, from: Data(managed.utf8)) else {
                        throw ValidationError("--managed must be a JSON object")
                    }
                    merge("managed", fields.mapValues { Optional($0) })
                }
                let response = try await client.send(.PUT, "/v1/ddos", json: .object(body))
                print(String(decoding: response.body, as: UTF8.self))
            }
        }
    }

    struct AccountSettings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "account", abstract: "An account's overrides, thresholds per prefix and SYN proxy.",
                                                        subcommands: [ShowAccount.self, SetAccount.self])

        struct ShowAccount: AsyncParsableCommand {
            static let configuration = CommandConfiguration(commandName: "show", abstract: "Show the account's DDoS settings.")
            @OptionGroup var account: AccountOption
            @OptionGroup var options: ClientOptions
            func run() async throws {
                try await options.run { client in
                    print(String(decoding: try await client.send(.GET, try account.path("ddos")).body, as: UTF8.self))
                }
            }
        }

        struct SetAccount: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "set", abstract: "Replace the account's DDoS settings with a JSON object.",
                discussion: """
                Fields: managed (managed-rule fields to override), detection (packets_per_second, bits_per_second), thresholds ([{prefix, packets_per_second, bits_per_second}], longest match wins), synproxy ([{prefix, ports}]: TCP services whose handshakes the edge answers), automatic_mitigation (true/false). Prefixes must lie in the account's prefixes.
                """)
            @Option(help: "The settings as JSON.") var body: String?
            @Option(help: "A file with the settings as JSON, or - for standard input.") var file: String?
            @OptionGroup var account: AccountOption
            @OptionGroup var options: ClientOptions
            func validate() throws {
                guard (body == nil) != (file == nil) else { throw ValidationError("give --body or --file") }
            }
            func run() async throws {
                let data = try file.map(readInput) ?? Data((body ?? "").utf8)
                try await options.run { client in
                    let response = try await client.send(.PUT, try account.path("ddos"), body: data)
                    print(String(decoding: response.body, as: UTF8.self))
                }
            }
        }
    }
}

struct AttacksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attacks",
        abstract: "Attacks the edges detected on the account's addresses, and their mitigations.",
        discussion: """
        Examples:
          moat attacks --account acme
          moat attacks --account acme --status active
          moat attacks show atk_3f2a9c0d11e4b7a2 --account acme
          moat attacks pin atk_3f2a9c0d11e4b7a2 --account acme    (operator: keep the drop rule until lifted)
          moat attacks lift atk_3f2a9c0d11e4b7a2 --account acme   (operator: remove it; not installed again for this attack)
        """,
        subcommands: [List.self, Show.self, Pin.self, Lift.self],
        defaultSubcommand: List.self)

    static func table(_ attacks: [Attack]) -> Table {
        Table(["ID", "TARGET", "STATUS", "STARTED", "ENDED", "PEAK PPS", "PEAK BPS", "DROPPED", "MITIGATION", "LOCATION", "FINGERPRINT"], attacks.map {
            [$0.id, $0.target.description, $0.status.rawValue, $0.startedAt.cell, $0.endedAt?.cell ?? "-", String($0.peakPacketsPerSecond),
             String($0.peakBitsPerSecond), String($0.packetsDropped), $0.mitigation.rawValue, $0.location.cell, $0.fingerprint?.nft ?? "-"]
        })
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List attacks, newest first.")
        @Option(help: "Only 'active' or 'ended' attacks.") var status: Attack.Status?
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { client in
                let response = try await client.send(.GET, try account.path("attacks") + (status.map { "?status=\($0.rawValue)" } ?? ""))
                if options.json { print(String(decoding: response.body, as: UTF8.self)); return }
                AttacksCommand.table(try client.decode(AttackListBody.self, response).attacks).print()
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One attack with its fingerprint.")
        @Argument(help: "The attack id.") var id: String
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { client in
                let response = try await client.send(.GET, try account.path("attacks/\(id)"))
                if options.json { print(String(decoding: response.body, as: UTF8.self)); return }
                let attack = try client.decode(Attack.self, response)
                AttacksCommand.table([attack]).print()
                if let fingerprint = attack.fingerprint {
                    print("\nrule:      \(fingerprint.nft)")
                    print("covers:    \(Int((fingerprint.attackCoverage * 100).rounded())) % of the attack's sampled packets")
                    print("collateral: \(Int((fingerprint.baselineCoverage * 100).rounded())) % of the target's normal traffic" + (fingerprint.isWholeTarget ? " (nothing narrower than the address was found)" : ""))
                }
            }
        }
    }

    struct Pin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep the attack's drop rule until lifted (operator token).")
        @Argument(help: "The attack id.") var id: String
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { client in
                let response = try await client.send(.PATCH, try account.path("attacks/\(id)"), json: .object(["mitigation": .string("pinned")]))
                if options.json { print(String(decoding: response.body, as: UTF8.self)); return }
                AttacksCommand.table([try client.decode(Attack.self, response)]).print()
            }
        }
    }

    struct Lift: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the attack's drop rule; it is not installed again for this attack (operator token).")
        @Argument(help: "The attack id.") var id: String
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions
        func run() async throws {
            try await options.run { client in
                let response = try await client.send(.PATCH, try account.path("attacks/\(id)"), json: .object(["mitigation": .string("lifted")]))
                if options.json { print(String(decoding: response.body, as: UTF8.self)); return }
                AttacksCommand.table([try client.decode(Attack.self, response)]).print()
            }
        }
    }
}

struct AttackListBody: Decodable {
    var attacks: [Attack]
}

extension Attack.Status: ExpressibleByArgument {}
