import ArgumentParser
import Firewall
import Foundation
import MoatClient
import MoatModel

extension FirewallCommand {
    /// Runs a ruleset on the packets of a capture with the in-process evaluator: what the
    /// edge's nftables rules would do with them, and which rule decided.
    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the rules on the packets of a capture; print each verdict and the hits per rule.",
            discussion: """
            Rules come from the account through the API (disabled rules are left out) or, with --rules, from a file, so that it works offline. A rules file holds one rule a line, ACTION EXPRESSION, and # comments:
              block tcp.dstport == 22 and not ip.src in $office
              rate_limit 100/5 udp.dstport == 53   (per source: packets/s and burst)
              log ip.proto == icmp
            Packet timestamps drive rate limits. Captures are pcap or pcapng, of Ethernet, raw IP, Linux cooked (SLL, SLL2) or BSD loopback links; frames that carry no IP packet are skipped.

            Example: moat firewall test --pcap dump.pcap --rules rules.txt --list office=office.txt
            """)

        @Option(help: "A pcap or pcapng capture file.") var pcap: String
        @Option(help: "Rules from this file instead of the account's (one 'ACTION EXPRESSION' a line).") var rules: String?
        @Option(name: .customLong("list"), help: "With --rules: an IP list as NAME=FILE, one address or CIDR a line.") var listFiles: [String] = []
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions

        func validate() throws {
            if rules != nil, account.account != nil { throw ValidationError("pass either --rules or --account, not both") }
            if rules == nil, !listFiles.isEmpty { throw ValidationError("--list goes with --rules; with an account, its own lists are used") }
        }

        func run() async throws {
            let (packets, skipped) = try readCapture()
            let source: RuleSource
            if let rules {
                source = try RuleSource(file: rules, lists: listFiles)
            } else {
                var fetched: RuleSource?
                try await options.run { client in
                    let base = try account.path("firewall")
                    fetched = RuleSource(rules: try await client.list("\(base)/rules", of: FirewallRule.self),
                                         lists: try await client.list("\(base)/lists", of: FirewallList.self))
                }
                guard let fetched else { throw ExitCode(1) }
                source = fetched
            }
            let report = try Self.evaluate(packets, source: source, skipped: skipped)
            if options.json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                encoder.keyEncodingStrategy = .convertToSnakeCase
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                report.print(capture: pcap)
            }
        }

        private func readCapture() throws -> (packets: [PcapPacket], skipped: Int) {
            let bytes: [UInt8]
            do {
                bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: pcap)))
            } catch {
                throw Self.fail("cannot read \(pcap): \(error.localizedDescription)")
            }
            do {
                var reader = try PcapReader(bytes: bytes)
                var packets: [PcapPacket] = []
                while let packet = try reader.next() { packets.append(packet) }
                return (packets, reader.skippedFrames)
            } catch {
                throw Self.fail("\(pcap): \(error)")
            }
        }

        /// Checks the rules, then runs every packet through them in order.
        static func evaluate(_ packets: [PcapPacket], source: RuleSource, skipped: Int) throws -> Report {
            let checker = Checker(lists: Set(source.lists.keys))
            var checked: [RulesetEvaluator.Rule] = []
            for rule in source.rules {
                do {
                    checked.append(RulesetEvaluator.Rule(try checker.check(rule.expression), rule.action))
                } catch {
                    throw fail("rule \(rule.position) (\(rule.id)) does not check:\n\(error.rendered(in: rule.expression))")
                }
            }
            var evaluator = RulesetEvaluator(rules: checked, lists: source.lists)
            let start = packets.first?.timestamp ?? 0
            var results: [Report.PacketResult] = []
            for packet in packets {
                let before = evaluator.hits
                let decision = evaluator.evaluate(packet.bytes, now: packet.timestamp)
                // log rules count and continue: they show as hits that did not decide.
                let logged = evaluator.hits.indices.filter { evaluator.hits[$0] > before[$0] && $0 != decision.ruleIndex }
                results.append(Report.PacketResult(
                    index: packet.index, time: packet.timestamp,
                    // Microseconds: what a Double holds of an epoch timestamp anyway.
                    relativeTime: ((packet.timestamp - start) * 1e6).rounded() / 1e6,
                    summary: PacketSummary(packet.bytes).text,
                    verdict: decision.verdict == .block ? "block" : "allow",
                    rule: decision.ruleIndex.map { Report.RuleReference(source.rules[$0]) },
                    loggedBy: logged.map { Report.RuleReference(source.rules[$0]) }))
            }
            let rules = source.rules.enumerated().map { index, rule in
                Report.RuleHits(position: rule.position, id: rule.id, action: rule.actionText, expression: rule.expression, hits: evaluator.hits[index])
            }
            let blocked = results.count { $0.verdict == "block" }
            let totals = Report.Totals(packets: results.count, allowed: results.count - blocked, blocked: blocked,
                                       allowedByDefault: results.count { $0.rule == nil && $0.verdict == "allow" },
                                       skippedFrames: skipped)
            return Report(packets: results, rules: rules, totals: totals)
        }

        /// Prints `message` to standard error; the error to throw is exit status 1.
        static func fail(_ message: String) -> ExitCode {
            FileHandle.standardError.write(Data("error: \(message)\n".utf8))
            return ExitCode(1)
        }
    }

    /// The ordered rules to test and the IP lists they may use.
    struct RuleSource {
        struct Rule {
            var position: Int
            var id: String
            var action: Action
            var actionText: String
            var expression: String
        }

        var rules: [Rule]
        var lists: [String: [CIDR]]

        /// The account's enabled rules in order, and its lists.
        init(rules: [FirewallRule], lists: [FirewallList]) {
            self.rules = rules.filter(\.enabled).sorted { $0.position < $1.position }.map { rule in
                let action: Action
                let text: String
                switch rule.action {
                case .block: (action, text) = (.block, "block")
                case .allow: (action, text) = (.allow, "allow")
                case .log: (action, text) = (.log, "log")
                case .rateLimit:
                    let limit = rule.rateLimit ?? .init(packetsPerSecond: 1, burst: 1)
                    action = .rateLimit(packetsPerSecond: UInt32(clamping: limit.packetsPerSecond), burst: UInt32(clamping: limit.burst))
                    text = "rate_limit \(limit.packetsPerSecond)/s burst \(limit.burst)"
                }
                return Rule(position: rule.position, id: rule.id, action: action, actionText: text, expression: rule.expression)
            }
            self.lists = Dictionary(lists.map { ($0.name, $0.items) }, uniquingKeysWith: { first, _ in first })
        }

        /// Rules from a file, `ACTION EXPRESSION` a line; lists from `NAME=FILE` arguments.
        init(file: String, lists listFiles: [String]) throws {
            let name = URL(fileURLWithPath: file).lastPathComponent
            rules = []
            for (number, line) in try Self.lines(of: file) {
                let words = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
                let word = String(words[0])
                var expression = words.count > 1 ? String(words[1]).trimmingCharacters(in: .whitespaces) : ""
                let action: Action
                var text = word
                switch word {
                case "block": action = .block
                case "allow": action = .allow
                case "log": action = .log
                case "rate_limit":
                    // rate_limit RATE[/BURST] EXPRESSION; the burst defaults to the rate, as in the API.
                    let parts = expression.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
                    let numbers = parts.first?.split(separator: "/", omittingEmptySubsequences: false).map { UInt32($0) } ?? []
                    guard parts.count == 2, (1...2).contains(numbers.count), let rate = numbers[0], rate > 0,
                          let burst = numbers.count == 2 ? numbers[1] : rate else {
                        throw FirewallCommand.Test.fail("\(name):\(number): expected 'rate_limit RATE[/BURST] EXPRESSION', e.g. 'rate_limit 100/5 udp.dstport == 53'")
                    }
                    action = .rateLimit(packetsPerSecond: rate, burst: burst)
                    text = "rate_limit \(rate)/s burst \(burst)"
                    expression = String(parts[1]).trimmingCharacters(in: .whitespaces)
                default:
                    throw FirewallCommand.Test.fail("\(name):\(number): '\(word)' is not an action (block, allow, log or rate_limit RATE[/BURST])")
                }
                guard !expression.isEmpty else {
                    throw FirewallCommand.Test.fail("\(name):\(number): '\(word)' needs an expression after it")
                }
                rules.append(Rule(position: rules.count + 1, id: "\(name):\(number)", action: action, actionText: text, expression: expression))
            }
            lists = [:]
            for argument in listFiles {
                guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                    throw ValidationError("--list takes NAME=FILE, not '\(argument)'")
                }
                let listName = String(argument[..<equals]).trimmingCharacters(in: CharacterSet(charactersIn: "$"))
                let path = String(argument[argument.index(after: equals)...])
                lists[listName] = try Self.lines(of: path).map { number, line in
                    guard let cidr = CIDR(line) ?? IPAddress(line).map(CIDR.init(host:)) else {
                        throw FirewallCommand.Test.fail("\(path):\(number): '\(line)' is not an address or CIDR")
                    }
                    return cidr
                }
            }
        }

        /// Non-empty lines that are not `#` comments, with their 1-based numbers.
        private static func lines(of path: String) throws -> [(Int, String)] {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw FirewallCommand.Test.fail("cannot read \(path): \(error.localizedDescription)")
            }
            return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
                let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
                return trimmed.isEmpty || trimmed.hasPrefix("#") ? nil : (index + 1, trimmed)
            }
        }
    }

    /// What `moat firewall test` found; its `--json` form.
    struct Report: Encodable {
        struct RuleReference: Encodable, Equatable {
            var position: Int
            var id: String
            init(_ rule: RuleSource.Rule) { (position, id) = (rule.position, rule.id) }
            var text: String { "\(position) \(id)" }
        }

        struct PacketResult: Encodable {
            var index: Int
            /// Seconds since the Unix epoch.
            var time: Double
            var relativeTime: Double
            var summary: String
            var verdict: String
            /// The rule that decided; nil for the default allow.
            var rule: RuleReference?
            var loggedBy: [RuleReference]

            enum CodingKeys: String, CodingKey { case index, time, relativeTime, summary, verdict, rule, loggedBy }

            /// Writes `"rule": null` for the default allow, so scripts need not test for the key.
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(index, forKey: .index)
                try container.encode(time, forKey: .time)
                try container.encode(relativeTime, forKey: .relativeTime)
                try container.encode(summary, forKey: .summary)
                try container.encode(verdict, forKey: .verdict)
                try container.encode(rule, forKey: .rule)
                try container.encode(loggedBy, forKey: .loggedBy)
            }
        }

        struct RuleHits: Encodable {
            var position: Int
            var id: String
            var action: String
            var expression: String
            var hits: Int
        }

        struct Totals: Encodable {
            var packets: Int
            var allowed: Int
            var blocked: Int
            var allowedByDefault: Int
            var skippedFrames: Int
        }

        var packets: [PacketResult]
        var rules: [RuleHits]
        var totals: Totals

        func print(capture: String) {
            Table(["NO.", "TIME", "PACKET", "VERDICT", "RULE"], packets.map { packet in
                var rule = packet.rule?.text ?? "default"
                if !packet.loggedBy.isEmpty { rule += " (logged by \(packet.loggedBy.map(\.text).joined(separator: ", ")))" }
                return [String(packet.index), String(format: "%.6f", packet.relativeTime), packet.summary, packet.verdict, rule]
            }).print()
            Swift.print("")
            Table(["POS", "ID", "ACTION", "HITS", "EXPRESSION"], rules.map {
                [String($0.position), $0.id, $0.action, String($0.hits), $0.expression]
            }).print()
            Swift.print("")
            var line = "\(totals.packets) packet\(totals.packets == 1 ? "" : "s"): \(totals.allowed) allowed"
            if totals.allowedByDefault > 0 { line += " (\(totals.allowedByDefault) by default)" }
            line += ", \(totals.blocked) blocked"
            if totals.skippedFrames > 0 { line += "; \(totals.skippedFrames) frame\(totals.skippedFrames == 1 ? "" : "s") skipped (not IP)" }
            if let first = packets.first {
                line += "; capture starts \(Date(timeIntervalSince1970: first.time).formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))"
            }
            Swift.print(line)
        }
    }

    /// One line about a packet, tcpdump-like: `198.51.100.7:5353 → 203.0.113.10:53 udp len 74`.
    struct PacketSummary {
        var text: String

        init(_ bytes: [UInt8]) {
            guard let packet = Packet(bytes: bytes) else {
                text = "not a readable IP packet (\(bytes.count) bytes)"
                return
            }
            func endpoint(_ address: IPAddress, _ port: UInt64?) -> String {
                guard let port else { return "\(address)" }
                return address.isIPv4 ? "\(address):\(port)" : "[\(address)]:\(port)"
            }
            let proto = packet.transportProtocol
            var source = endpoint(packet.source, nil), destination = endpoint(packet.destination, nil)
            var detail = proto.map { Self.protocolNames[$0] ?? "proto \($0)" } ?? "ipv6 (truncated headers)"
            if let proto, [6, 17, 132].contains(proto),
               let sport = packet.transport(proto, offset: 0, width: 2), let dport = packet.transport(proto, offset: 2, width: 2) {
                source = endpoint(packet.source, sport)
                destination = endpoint(packet.destination, dport)
            }
            if let flags = packet.transport(6, offset: 13, width: 1) {
                detail += " [\(Self.tcpFlags(UInt8(flags)))]"
            }
            if let proto, proto == 1 || proto == 58,
               let type = packet.transport(proto, offset: 0, width: 1), let code = packet.transport(proto, offset: 1, width: 1) {
                detail += " type \(type) code \(code)"
            }
            if packet.isFragment { detail += packet.isLaterFragment ? " fragment" : " first-fragment" }
            text = "\(source) → \(destination) \(detail) len \(packet.totalLength)"
        }

        /// The rule language's protocol names, so the summary reads like `ip.proto == udp`.
        private static let protocolNames: [UInt8: String] = Dictionary(
            Scheme.protocols.map { (UInt8(truncatingIfNeeded: $0.value), $0.key) }, uniquingKeysWith: { first, _ in first })

        /// tcpdump's notation: S F R P U E W, and `.` for ACK.
        private static func tcpFlags(_ flags: UInt8) -> String {
            let letters: [(UInt8, String)] = [(0x02, "S"), (0x01, "F"), (0x04, "R"), (0x08, "P"), (0x20, "U"), (0x40, "E"), (0x80, "W"), (0x10, ".")]
            let text = letters.filter { flags & $0.0 != 0 }.map(\.1).joined()
            return text.isEmpty ? "none" : text
        }
    }
}
