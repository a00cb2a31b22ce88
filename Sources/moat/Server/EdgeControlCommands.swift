import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Where a running edge agent's local endpoint is (`moat edge --listen`).
struct EdgeEndpointOptions: ParsableArguments {
    @Option(name: .long, help: "The edge agent's local endpoint (its --listen address).")
    var endpoint: String = "127.0.0.1:7481"

    func request(_ method: HTTPMethod, _ path: String) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: "http://\(endpoint)\(path)")
        request.method = method
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        } catch {
            throw CLIError("cannot reach the edge agent at \(endpoint): \(error) (is `moat edge` running with --listen \(endpoint)?)")
        }
        let body = try await response.body.collect(upTo: 1 << 20)
        if response.status == .notFound { throw CLIError("this edge agent runs without BGP (--bgp off)") }
        guard response.status == .ok else {
            throw CLIError("the edge agent answered \(response.status.code): \(String(buffer: body))")
        }
        guard let object = try JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
            throw CLIError("the edge agent answered something that is not a JSON object")
        }
        return object
    }
}

extension EdgeCommand {
    struct Drain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Take this edge out of service gracefully: GRACEFUL_SHUTDOWN, then withdraw.",
            discussion: """
            The edge re-announces its prefixes with the GRACEFUL_SHUTDOWN community (65535:0, RFC 8326), so
            routers that honour it move traffic to other paths first, waits, then withdraws everything. It stays
            drained, across restarts too, until `moat edge undrain`.
            """)

        @Option(help: "Seconds between GRACEFUL_SHUTDOWN and the withdrawal (0-3600).")
        var wait: Int = 30

        @Flag(help: "Return at once instead of waiting for the withdrawal.")
        var noWait = false

        @OptionGroup var edge: EdgeEndpointOptions

        func validate() throws {
            guard (0...3600).contains(wait) else { throw ValidationError("--wait must be 0-3600 seconds, got \(wait)") }
        }

        func run() async throws {
            let status = try await edge.request(.POST, "/bgp/drain?wait=\(wait)")
            let sessions = (status["sessions"] as? [[String: Any]]) ?? []
            print("draining: GRACEFUL_SHUTDOWN sent to \(sessions.count) peer(s); withdrawing in \(wait) s")
            guard !noWait else { return }
            let deadline = Date().addingTimeInterval(Double(wait) + 10)
            while Date() < deadline {
                let now = try await edge.request(.GET, "/bgp")
                if now["drain"] as? String == "withdrawn" {
                    let announced = ((now["sessions"] as? [[String: Any]]) ?? []).reduce(0) { $0 + (($1["announced"] as? Int) ?? 0) }
                    print("withdrawn: \(announced) prefix(es) still announced; `moat edge undrain` to return to service")
                    return
                }
                try await Task.sleep(for: .milliseconds(500))
            }
            throw CLIError("the edge did not report the withdrawal within \(wait + 10) s; check `moat edge bgp`")
        }
    }

    struct Undrain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Return a drained edge to service: announce again.")

        @OptionGroup var edge: EdgeEndpointOptions

        func run() async throws {
            _ = try await edge.request(.POST, "/bgp/undrain")
            print("undrained: announcing the prefixes this edge can deliver")
        }
    }

    struct BGPStatus: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "bgp", abstract: "Show this edge's BGP sessions and what it withholds, and why.")

        @OptionGroup var edge: EdgeEndpointOptions

        @Flag(help: "Print the edge's JSON answer.")
        var json = false

        func run() async throws {
            let status = try await edge.request(.GET, "/bgp")
            if json {
                let data = try JSONSerialization.data(withJSONObject: status, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            print("drain: \(status["drain"] as? String ?? "?")")
            let sessions = (status["sessions"] as? [[String: Any]]) ?? []
            var rows: [[String]] = []
            for session in sessions {
                rows.append(["name", "address", "state", "since", "announced", "received", "reason"].map { key in session[key].map { "\($0)" } ?? "" })
            }
            print(Table(["PEER", "ADDRESS", "STATE", "SINCE", "ANNOUNCED", "RECEIVED", "LAST REASON"], rows).render())
            let withheld = (status["withheld"] as? [String: String]) ?? [:]
            for (prefix, reason) in withheld.sorted(by: { $0.key < $1.key }) { print("not announced: \(prefix): \(reason)") }
        }
    }
}
