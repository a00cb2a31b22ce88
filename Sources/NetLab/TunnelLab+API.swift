import Foundation
import LinuxNet

#if canImport(Glibc)
import Glibc
#endif

/// The lab's tunnels, routes and tunnel health through the `moat` CLI: the calls a user's
/// script would make.
extension TunnelLab {
    /// Creates tunnel `tunnel` through the API, from the edge's endpoint to its customer endpoint.
    @discardableResult
    package func createTunnel(_ tunnel: Tunnel, rate: String = "high", direction: String = "bidirectional") throws -> String {
        let id = try createdID(try client([
            "tunnels", "create", tunnel.name, "--customer-endpoint", tunnel.customerEndpoint,
            "--moat-endpoint", Self.moatEndpoint, "--interface-address", tunnel.interfaceNetwork,
            "--health-check-rate", rate, "--health-check-direction", direction,
            "--account", account, "--json",
        ]))
        remember(id, of: tunnel)
        return id
    }

    /// Sets the probe rate of a tunnel made by ``createTunnel(_:rate:direction:)``.
    package func setRate(_ tunnel: Tunnel, _ rate: String) throws {
        try checked(try client(["tunnels", "update", try id(of: tunnel), "--health-check-rate", rate, "--account", account]))
    }

    /// Routes the origin's prefix (or `prefix`) through `tunnel`.
    @discardableResult
    package func createRoute(via tunnel: Tunnel, priority: Int, weight: Int? = nil, prefix: String = TunnelLab.originPrefix) throws -> String {
        var arguments = ["routes", "create", prefix, "--nexthop", tunnel.customerAddress, "--priority", String(priority)]
        if let weight { arguments += ["--weight", String(weight)] }
        return try createdID(try client(arguments + ["--account", account, "--json"]))
    }

    package func id(of tunnel: Tunnel) throws -> String {
        guard let id = tunnelIDs[tunnel.number] else {
            throw LabError(.unknownNamespace, "\(tunnel.name) was not created through the API")
        }
        return id
    }

    /// What `GET /v1/accounts/{account}/tunnels/health` says of each tunnel at location
    /// `local` right now (`healthy`, `degraded`, `down`), by tunnel number; tunnels no edge
    /// reported yet are missing.
    package func healthStates() throws -> [Int: String] {
        let result = try client(["tunnels", "health", "--account", account, "--json"])
        try checked(result)
        let object = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any]
        let numbers = Dictionary(uniqueKeysWithValues: tunnelIDs.map { ($0.value, $0.key) })
        var states: [Int: String] = [:]
        for row in object?["items"] as? [[String: Any]] ?? [] {
            guard let id = row["tunnel_id"] as? String, let number = numbers[id] else { continue }
            let cells = row["locations"] as? [[String: Any]] ?? []
            if let cell = cells.first(where: { $0["location"] as? String == "local" }), let state = cell["state"] as? String {
                states[number] = state
            }
        }
        return states
    }

    /// Waits until every tunnel in `states` is in the given state, as the health API says.
    package func waitForHealth(_ states: [Tunnel: String], timeout: Duration = .seconds(30)) throws {
        var last: [Int: String] = [:]
        let what = states.map { "\($0.key.name) \($0.value)" }.sorted().joined(separator: ", ")
        do {
            try waitUntil(what, timeout: timeout, process: core) {
                last = try healthStates()
                return states.allSatisfy { last[$0.key.number] == $0.value }
            }
        } catch let error as LabError where error.code == .timedOut {
            throw LabError(.timedOut, "\(error.message); the health API said \(last.sorted { $0.key < $1.key })")
        }
    }
}

/// Polls the health API on a thread of its own every `interval` while a test runs, so that a
/// state that lasted a moment (a tunnel that went down and came back) is not missed.
package final class HealthWatcher: @unchecked Sendable {
    /// One answer of the health API: when, and the state of each tunnel by number.
    package struct Observation: Sendable {
        package var wallClockNanos: Int64
        package var states: [Int: String]
    }

    private let lock = NSLock()
    private var observations: [Observation] = []
    private var running = true
    private let thread: Thread

    package init(_ lab: TunnelLab, interval: Duration = .milliseconds(200)) {
        let box = Box()
        let pause = useconds_t(interval.components.seconds * 1_000_000 + interval.components.attoseconds / 1_000_000_000_000)
        thread = Thread {
            while box.owner?.isRunning ?? false {
                if let states = try? lab.healthStates() {
                    box.owner?.append(Observation(wallClockNanos: wallClockNanos(), states: states))
                }
                usleep(pause)
            }
        }
        box.owner = self
        thread.name = "health-watcher"
        thread.start()
    }

    /// Stops polling and answers everything seen, oldest first.
    package func stop() -> [Observation] {
        lock.withLock { running = false }
        // One poll may still be under way; it takes a CLI round trip at most.
        usleep(300_000)
        return lock.withLock { observations }
    }

    /// Every observation so far.
    package var seen: [Observation] { lock.withLock { observations } }

    /// The distinct states tunnel `number` went through, in order (repeats collapsed).
    package static func history(of number: Int, in observations: [Observation]) -> [String] {
        observations.compactMap { $0.states[number] }.reduce(into: []) { states, state in
            if states.last != state { states.append(state) }
        }
    }

    private var isRunning: Bool { lock.withLock { running } }

    private func append(_ observation: Observation) {
        lock.withLock { if running { observations.append(observation) } }
    }

    /// Lets the thread see its watcher without keeping it alive.
    private final class Box: @unchecked Sendable {
        weak var owner: HealthWatcher?
    }
}
