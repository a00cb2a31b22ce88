import AsyncHTTPClient
import Foundation
import Logging
import MoatClient
import MoatEdge
import MoatModel

/// One run: sets up a location with an approved prefix through the API, starts the edges,
/// then toggles the prefix's `advertised` flag and times each change until every edge has it.
struct SyncRun {
    let core: CoreProcess
    /// Where the edges' data directories go.
    let edgeRoot: URL
    let edges: Int
    let changes: Int
    let gap: Duration
    let timeout: Duration
    let location = "bench1"

    struct Report {
        var edges: Int
        var changes: Int
        var propagation = Samples()
        /// From the request leaving to the last edge: what a script waiting on the change sees.
        var endToEnd = Samples()
        /// From the response to the first edge: the floor of one sync round trip.
        var firstEdge = Samples()
        var perEdge = Samples()
        var write = Samples()
        var initialSync: Duration = .zero
        var coreCPUPerChange: Duration?
        var benchCPUPerChange: Duration?
        var coreIdle: (rss: Int, peak: Int)?
        var coreAfter: (rss: Int, peak: Int)?
    }

    func measure() async throws -> Report {
        // One client for the operator and every edge: each edge holds a long-poll open, so the
        // pool must allow a connection per edge and some to spare.
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(256, edges + 16))
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let report = try await measure(http: http)
            try await http.shutdown()
            return report
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    private func measure(http: HTTPClient) async throws -> Report {
        let api = APIClient(baseURL: core.url, token: core.operatorToken, http: http)
        let write = TimedWrite(http: http, baseURL: core.url, token: core.operatorToken)
        let (prefixPath, initialVersion) = try await setUp(api)
        let tokens = try await enrol(api)
        var report = Report(edges: edges, changes: changes)
        report.coreIdle = core.memory()

        let tracker = ApplyTracker(edges: edges)
        let started = ContinuousClock.now
        let agents = startAgents(tokens: tokens, http: http, tracker: tracker)
        do {
            let initialTimeout = Duration.seconds(max(30, edges / 2))
            try await tracker.waitForAll(atLeast: initialVersion, timeout: initialTimeout, what: "the initial config")
            report.initialSync = ContinuousClock.now - started

            let coreCPU = core.cpuTime(), benchCPU = CPUTime.of(pid: getpid())
            for change in 0..<changes {
                try await Task.sleep(for: gap)
                let sent = ContinuousClock.now
                let answer = try await write.patch(prefixPath, .object(["advertised": .bool(change % 2 == 0)]), timeout: timeout)
                let (version, answered) = (answer.version, answer.answered)
                report.write.add(answered - sent)
                try await tracker.waitForAll(atLeast: version, timeout: timeout, what: "change \(change + 1) of \(changes) (version \(version))")
                let reached = tracker.reached(version).compactMap { $0 }
                for instant in reached { report.perEdge.add(instant - answered) }
                if let last = reached.max() { report.propagation.add(last - answered); report.endToEnd.add(last - sent) }
                if let first = reached.min() { report.firstEdge.add(first - answered) }
            }
            if let before = coreCPU, let after = core.cpuTime() { report.coreCPUPerChange = (after - before) / changes }
            if let before = benchCPU, let after = CPUTime.of(pid: getpid()) { report.benchCPUPerChange = (after - before) / changes }
            report.coreAfter = core.memory()
        } catch {
            await stop(agents, tracker: tracker)
            throw error
        }
        await stop(agents, tracker: tracker)
        return report
    }

    /// A location, an account and an approved prefix; answers the prefix's path and the config
    /// version the edges must reach before the measured changes start.
    private func setUp(_ api: APIClient) async throws -> (prefixPath: String, version: Int) {
        try await api.send(.POST, "/v1/locations", json: .object(["id": .string(location), "name": .string("Bench"), "region": .string("BENCH")]))
        let account = try api.decode(Account.self, try await api.send(.POST, "/v1/accounts", json: .object(["name": .string("bench")])))
        let created = try await api.send(.POST, "/v1/accounts/\(account.id)/prefixes", json: .object(["cidr": .string("203.0.113.0/24")]))
        let prefix = try api.decode(Prefix.self, created)
        let path = "/v1/accounts/\(account.id)/prefixes/\(prefix.id)"
        let approved = try await api.send(.PATCH, path, json: .object(["status": .string("approved")]))
        guard let version = approved.configVersion else {
            throw BenchError("approving the prefix answered no Moat-Config-Version header")
        }
        return (path, version)
    }

    /// One enrolment token per edge.
    private func enrol(_ api: APIClient) async throws -> [String] {
        var tokens: [String] = []
        for index in 0..<edges {
            let body = JSONValue.object(["location": .string(location), "name": .string(Self.name(index))])
            let edge = try api.decode(EdgeInfo.self, try await api.send(.POST, "/v1/edges", json: body))
            guard let token = edge.enrollmentToken else { throw BenchError("POST /v1/edges answered no enrollment_token") }
            tokens.append(token)
        }
        return tokens
    }

    private func startAgents(tokens: [String], http: HTTPClient, tracker: ApplyTracker) -> [Task<Void, Never>] {
        var logger = Logger(label: "bench.edge") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        let directory = edgeRoot
        return tokens.enumerated().map { index, token in
            var options = EdgeAgent.Options(coreURL: core.url, dataDirectory: directory.appendingPathComponent(Self.name(index)),
                                            location: location, enrollToken: token, agentVersion: "bench")
            options.onApplied = { version in tracker.applied(edge: index, version: version) }
            let agent = EdgeAgent(options: options, appliers: [], http: http, logger: logger)
            return Task {
                do {
                    try await agent.run()
                    if !Task.isCancelled { tracker.agentStopped(edge: index, error: nil) }
                } catch {
                    if !Task.isCancelled { tracker.agentStopped(edge: index, error: error) }
                }
                tracker.agentFinished()
            }
        }
    }

    /// Cancels the agents and waits (a bounded time) for them to return.
    private func stop(_ agents: [Task<Void, Never>], tracker: ApplyTracker) async {
        for agent in agents { agent.cancel() }
        let deadline = ContinuousClock.now + .seconds(10)
        while tracker.finished < agents.count && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        if tracker.finished < agents.count {
            FileHandle.standardError.write(Data("warning: \(agents.count - tracker.finished) edge agents did not stop within 10 s\n".utf8))
        }
    }

    static func name(_ index: Int) -> String { String(format: "edge-%03d", index) }
}
