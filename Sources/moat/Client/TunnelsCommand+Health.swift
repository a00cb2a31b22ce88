import ArgumentParser
import Foundation
import MoatClient
import MoatModel

extension TunnelsCommand {
    struct Health: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show every tunnel's health as each location sees it now.",
            discussion: """
            One row per tunnel, one column per location. A cell is the worst state among the \
            location's edges that reported the tunnel in the last 60 s: healthy, degraded or down. \
            A state marked * is stale: no edge of the location reported the tunnel in the last \
            60 s, so the cell shows what they said last. '-': the location does not report the \
            tunnel (yet). --json prints the API's answer, with since when each state holds.

            Example: moat tunnels health --account acc_9c1e52d0a4b7f318
            """)
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let path = try account.path("tunnels/health")
            try await options.run { client in
                let response = try await client.send(.GET, path)
                if options.json { return print(String(decoding: response.body, as: UTF8.self)) }
                let items = try client.decode(ItemList<TunnelHealthOverview>.self, response).items
                TunnelsCommand.healthTable(items).print()
                if !items.isEmpty, items.allSatisfy({ $0.locations.isEmpty }) {
                    print("(no edge has reported these tunnels yet)")
                }
                if items.contains(where: { $0.locations.contains(where: \.stale) }) {
                    print("* stale: no edge of the location reported the tunnel in the last 60 s")
                }
            }
        }
    }

    static func healthTable(_ items: [TunnelHealthOverview]) -> Table {
        let locations = Set(items.flatMap { $0.locations.map(\.location) }).sorted()
        return Table(["TUNNEL"] + locations.map { $0.uppercased() }, items.map { tunnel in
            let cells = Dictionary(uniqueKeysWithValues: tunnel.locations.map { ($0.location, $0) })
            return [tunnel.name] + locations.map { location in
                guard let cell = cells[location] else { return "-" }
                return cell.state.rawValue + (cell.stale ? "*" : "")
            }
        })
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one tunnel's probe results over time, per location.",
            discussion: """
            One table per location that reported the tunnel. Each row is a bucket of --step \
            seconds: probes sent and lost, the loss, round-trip times (ms, the average weighted by \
            answered probes) and the worst state any edge of the location reported in it. Buckets \
            without reports are left out.

            --from and --to take an RFC 3339 time (2026-11-23T12:00:00Z) or a time ago: 90s, 30m, \
            6h or 2d. The range is at most 30 days. Steps of 60 s or more are whole minutes; steps \
            of 10-59 s read the raw 10 s summaries, kept for 24 hours.

            Examples:
              moat tunnels history gre1
              moat tunnels history gre1 --from 24h --step 600
              moat tunnels history tun_9c1e52d0a4b7f318 --from 5m --step 10 --json
            """)
        @Argument(help: "Tunnel name or ID.") var tunnel: String
        @Option(help: "Start of the range: RFC 3339 or a time ago such as 6h (default: an hour before --to).") var from: String?
        @Option(help: "End of the range: RFC 3339 or a time ago (default: now).") var to: String?
        @Option(help: "Bucket width in seconds: a multiple of 60, or 10-59 within the last 24 hours (default: 60).") var step: Int?
        @OptionGroup var account: AccountOption
        @OptionGroup var options: ClientOptions

        func validate() throws {
            for (name, value) in [("--from", from), ("--to", to)] {
                if let value, Self.time(value, now: Date()) == nil {
                    throw ArgumentParser.ValidationError("\(name) '\(value)' is neither an RFC 3339 time nor a time ago such as 6h")
                }
            }
        }

        func run() async throws {
            let now = Date()
            var query: [String] = []
            if let from, let date = Self.time(from, now: now) { query.append("from=\(RFC3339.string(date))") }
            if let to, let date = Self.time(to, now: now) { query.append("to=\(RFC3339.string(date))") }
            if let step { query.append("step=\(step)") }
            let tunnels = try account.path("tunnels")
            try await options.run { client in
                let found = try await Self.resolve(tunnel, in: client.list(tunnels, of: Tunnel.self))
                let path = "\(tunnels)/\(found.id)/health" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
                let response = try await client.send(.GET, path)
                if options.json { return print(String(decoding: response.body, as: UTF8.self)) }
                Self.printTables(try client.decode(TunnelHealthHistory.self, response), name: found.name)
            }
        }

        /// The tunnel whose ID or name is `text`.
        static func resolve(_ text: String, in tunnels: [Tunnel]) throws -> Tunnel {
            if let tunnel = tunnels.first(where: { $0.id == text }) ?? tunnels.first(where: { $0.name == text }) { return tunnel }
            let names = tunnels.map(\.name).sorted().joined(separator: ", ")
            FileHandle.standardError.write(Data("error: the account has no tunnel named or with ID '\(text)'\(names.isEmpty ? "" : " (tunnels: \(names))")\n".utf8))
            throw ExitCode(1)
        }

        /// RFC 3339, or a number and a unit (s, m, h, d) meaning that long before `now`.
        static func time(_ text: String, now: Date) -> Date? {
            if let date = RFC3339.date(text) { return date }
            let units: [Character: TimeInterval] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
            guard let unit = text.last.flatMap({ units[$0] }), let amount = Double(text.dropLast()), amount >= 0 else { return nil }
            return now.addingTimeInterval(-amount * unit)
        }

        static func printTables(_ history: TunnelHealthHistory, name: String) {
            print("tunnel \(name) (\(history.tunnelID)) from \(history.from.cell) to \(history.to.cell), step \(history.step) s")
            if history.locations.isEmpty { print("(no reports in this range)") }
            for series in history.locations {
                print("\nlocation \(series.location)")
                Table(["AT", "SENT", "LOST", "LOSS", "RTT MIN", "RTT AVG", "RTT MAX", "STATE"], series.points.map { point in
                    [point.at.cell, String(point.sent), String(point.lost), point.loss.map { String(format: "%.2f%%", $0 * 100) } ?? "-",
                     milliseconds(point.rttMin), milliseconds(point.rttAvg), milliseconds(point.rttMax), point.state.rawValue]
                }).print()
            }
        }

        static func milliseconds(_ value: Double?) -> String { value.map { String(format: "%.2f", $0) } ?? "-" }
    }
}
