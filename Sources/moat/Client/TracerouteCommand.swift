import ArgumentParser
import Foundation
import MoatClient
import MoatModel

struct TracerouteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traceroute",
        abstract: "Trace the path to the account's own addresses from some or all locations.",
        discussion: """
        Each location's edge sends Paris-style probes (the flow's ports, or its ICMP checksum, stay the \
        same, so per-flow load balancers keep one path) and reports every hop: probes sent and lost, \
        and per answering address its AS and round-trip times. Targets must lie inside the account's \
        approved prefixes or be a tunnel's customer endpoint; IPv4 and IPv6 both work. While it runs, \
        each location's progress goes to stderr; then one mtr-like table per target and location. \
        --json prints the API's answer.

        --proto gre traces through one of the account's tunnels to its customer endpoint: GRE from \
        the tunnel's Moat endpoint with increasing outer TTL, carrying an ICMP echo to the customer \
        router's side of the tunnel; routers on the way show as hops, and the trace is reached when \
        the customer router's echo reply comes back through the tunnel.

        Examples:
          moat traceroute 203.0.113.10 --from all
          moat traceroute 203.0.113.10 --from ams1,fra1 --proto tcp --port 443
          moat traceroute 203.0.113.10 203.0.113.20 --proto udp --packets 5 --json
          moat traceroute 2001:db8:113::10 --proto icmp
          moat traceroute 198.51.100.1 --proto gre
        """)

    @Argument(help: "Addresses or host names (at most 10).") var targets: [String]
    @Option(help: "Locations to trace from, comma-separated, or 'all'.") var from = "all"
    @Option(help: "Probe type: icmp, udp, tcp, or gre (to a tunnel's customer endpoint).") var proto = "icmp"
    @Option(help: "Destination port for udp (default 33434) and tcp (default 80).") var port: Int?
    @Option(help: "Largest TTL, 1-64.") var maxTTL: Int?
    @Option(help: "Probes per TTL, 1-10.") var packets: Int?
    @Option(help: "Seconds to wait for each answer, 1-5.") var wait: Int?
    @OptionGroup var account: AccountOption
    @OptionGroup var options: ClientOptions

    func run() async throws {
        let path = try account.path("traceroutes")
        var settings = JSONBody()
        settings.set("packet_type", proto)
        settings.set("port", port)
        settings.set("max_ttl", maxTTL)
        settings.set("packets_per_ttl", packets)
        settings.set("wait_time", wait)
        let locations = from == "all" ? [] : from.split(separator: ",").map { JSONValue.string(String($0)) }
        let body = JSONValue.object(["targets": .array(targets.map(JSONValue.string)), "locations": .array(locations), "options": settings.value])
        try await options.run { client in
            let started = Date()
            var job = try client.decode(Traceroute.self, try await client.send(.POST, path, json: body))
            var shown: [String: TracerouteResult.Status] = [:]
            var last = try await client.send(.GET, "\(path)/\(job.id)")
            // The server fails every location still open at the deadline, so this ends; the
            // extra time only covers a core that stopped answering.
            let giveUp = job.deadline.addingTimeInterval(30)
            while true {
                job = try client.decode(Traceroute.self, last)
                if !options.json { Self.progress(job, shown: &shown) }
                if job.status == .complete || Date() > giveUp { break }
                // Short traces finish within a second or two: look often at first, then less.
                try await Task.sleep(for: Date() < started.addingTimeInterval(2) ? .milliseconds(50) : .milliseconds(250))
                last = try await client.send(.GET, "\(path)/\(job.id)")
            }
            if options.json { return print(String(decoding: last.body, as: UTF8.self)) }
            Self.printTables(job)
        }
    }

    /// One stderr line per target and location whose state moved on.
    static func progress(_ job: Traceroute, shown: inout [String: TracerouteResult.Status]) {
        for result in job.results where shown[key(result)] != result.status {
            shown[key(result)] = result.status
            var line = "\(result.location): \(result.target) \(result.status.rawValue)"
            switch result.status {
            case .pending: line += " (waiting for an edge)"
            case .running: line += " on \(result.edgeID ?? "an edge")"
            case .done: line += ", \(result.hops.count) hops\(result.reached ? ", reached" : ", not reached")"
            case .failed: line += ": \(result.error ?? "no answer")"
            }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }

    static func key(_ result: TracerouteResult) -> String { "\(result.location) \(result.target)" }

    static func printTables(_ job: Traceroute) {
        let options = job.options
        let how = options.packetType.rawValue + (options.port.map { " port \($0)" } ?? "")
        for (index, result) in job.results.enumerated() {
            if index > 0 { print("") }
            let name = job.targets.first { $0.address == result.target }.map { $0.target == result.target.description ? "" : "\($0.target) " } ?? ""
            var header = "\(name)\(result.target) from \(result.location)"
            if let edge = result.edgeID { header += " (\(edge))" }
            header += ", \(how), \(options.packetsPerTTL) probes per hop"
            print(header)
            guard result.status == .done else {
                print("  \(result.status.rawValue): \(result.error ?? "no answer")")
                continue
            }
            table(result.hops).print()
            if !result.reached {
                let endpointAnswered = result.hops.last?.nodes.contains { $0.address == result.target } == true
                print(options.packetType == .gre && endpointAnswered
                      ? "(the customer endpoint answered, but not through the tunnel: it terminates no GRE, or the tunnel is down)"
                      : "(the target did not answer within \(options.maxTTL) hops)")
            }
        }
    }

    /// mtr's columns: loss, sent, best, average, worst and standard deviation (ms); one row
    /// per answering address, `???` for a hop where none answered.
    static func table(_ hops: [TracerouteHop]) -> Table {
        var rows: [[String]] = []
        for hop in hops {
            let loss = String(format: "%.1f%%", hop.loss * 100)
            if hop.nodes.isEmpty {
                rows.append([String(hop.ttl), "???", "", loss, String(hop.sent), "", "", "", ""])
            }
            for (index, node) in hop.nodes.enumerated() {
                let asn = node.asn.map { "AS\($0)" + (node.asName.map { " \($0)" } ?? "") } ?? ""
                rows.append([index == 0 ? String(hop.ttl) : "", node.address.description, asn, index == 0 ? loss : "",
                             index == 0 ? String(hop.sent) : "", ms(node.rttMin), ms(node.rttMean), ms(node.rttMax), ms(node.rttStddev)])
            }
        }
        return Table(["HOP", "ADDRESS", "AS", "LOSS", "SNT", "BEST", "AVG", "WRST", "STDEV"], rows)
    }

    static func ms(_ value: Double) -> String { String(format: "%.2f", value) }
}
