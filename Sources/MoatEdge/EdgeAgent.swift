import AsyncHTTPClient
import Foundation
import Logging
import MoatClient
import MoatModel
import ServiceLifecycle

/// The edge agent: starts from the last-known-good config on disk, then long-polls core and
/// applies every newer config all-or-nothing. A Service: it stops when the process shuts down.
package actor EdgeAgent: Service {
    package struct Options: Sendable {
        package var coreURL: String
        package var dataDirectory: URL
        /// The location this edge expects to serve; checked against its credential.
        package var location: String?
        /// A one-time enrolment token, used only when the edge has no credential yet.
        package var enrollToken: String?
        package var agentVersion: String
        /// Seconds a sync request waits at core for a change.
        package var pollWait: Int = 30
        /// How often counters go to core.
        package var telemetryInterval: Duration = .seconds(10)
        /// Called after each config applied (the benchmark measures with it).
        package var onApplied: (@Sendable (Int) -> Void)?
        /// Told of every answer from core (the BGP part withdraws when core is silent too long).
        package var contact: CoreContact?
        /// Where traceroutes find AS numbers.
        package var asn = ASNResolver()

        package init(coreURL: String, dataDirectory: URL, location: String?, enrollToken: String?, agentVersion: String) {
            self.coreURL = coreURL
            self.dataDirectory = dataDirectory
            self.location = location
            self.enrollToken = enrollToken
            self.agentVersion = agentVersion
        }
    }

    /// What the local health endpoint shows.
    package struct Status: Codable, Sendable {
        package var edgeID: String?
        package var location: String?
        package var appliedVersion: Int?
        package var lastSync: Date?
        package var lastError: String?
        package var runningFromDisk: Bool

        enum CodingKeys: String, CodingKey {
            case location
            case edgeID = "edge_id"
            case appliedVersion = "applied_version"
            case lastSync = "last_sync"
            case lastError = "last_error"
            case runningFromDisk = "running_last_known_good"
        }
    }

    let options: Options
    nonisolated let pipeline: ApplyPipeline
    let client: SyncClient
    let lastKnownGood: LastKnownGood
    package nonisolated let metrics: EdgeMetrics
    /// Data-plane parts that render metrics of their own.
    package nonisolated var metricsSources: [any MetricsTextSource] { pipeline.appliers.compactMap { $0 as? any MetricsTextSource } }
    var logger: Logger

    private var identity: EdgeIdentity?
    private var current: EdgeConfig?
    private var seen = 0
    private var lastSync: Date?
    private var lastError: String?
    /// Tunnel state changes whose immediate report failed; they go with the next periodic one.
    private var unsentStateChanges: [TunnelStateChange] = []
    /// Probe summaries whose report failed, sent again with the next one (bounded).
    private var unsentSamples: [TunnelHealthSample] = []
    /// Spectrum events whose report failed, sent again with the next one (bounded).
    private var unsentProxyEvents: [ProxyEvent] = []
    /// Attack reports whose send failed, by attack id (the latest state of each), sent with the next report.
    private var unsentAttacks: [String: Attack] = [:]
    private var reachedCore = false

    package init(options: Options, appliers: [any ConfigApplier] = [], http: HTTPClient = .shared, metrics: EdgeMetrics = EdgeMetrics(), logger: Logger = Logger(label: "moat.edge")) {
        self.options = options
        self.pipeline = ApplyPipeline(appliers: appliers)
        self.client = SyncClient(coreURL: options.coreURL, http: http)
        self.lastKnownGood = LastKnownGood(directory: options.dataDirectory)
        self.metrics = metrics
        self.logger = logger
    }

    /// The config in force (traceroutes check their targets against it).
    var runningConfig: EdgeConfig? { current }

    package var status: Status {
        Status(edgeID: identity?.edgeID, location: identity?.location, appliedVersion: current?.version,
               lastSync: lastSync, lastError: lastError, runningFromDisk: current != nil && !reachedCore)
    }

    package func run() async throws {
        try FileManager.default.createDirectory(at: options.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        await startFromDisk()
        try await cancelWhenGracefulShutdown {
            let identity = try await self.enrolled()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.syncLoop(identity) }
                group.addTask { await self.telemetryLoop(identity) }
                group.addTask { await self.jobLoop(identity) }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Applies the last-known-good config before talking to core, so a restart while core is
    /// down keeps the data plane as it was.
    func startFromDisk() async {
        do {
            guard let config = try lastKnownGood.load() else { return }
            try await pipeline.apply(config, previous: nil)
            current = config
            seen = config.version
            metrics.appliedVersion.set(to: Double(config.version))
            metrics.runningFromDisk.set(to: 1)
            logger.notice("running the last-known-good config from disk", metadata: ["version": "\(config.version)", "path": "\(lastKnownGood.path)"])
        } catch {
            logger.error("cannot use the last-known-good config", metadata: ["path": "\(lastKnownGood.path)", "error": "\(error)"])
        }
    }

    /// The stored credential, or a new one from the enrolment token.
    func enrolled() async throws -> EdgeIdentity {
        if let stored = try EdgeIdentity.load(from: options.dataDirectory) {
            if let location = options.location, location != stored.location {
                throw EdgeAgentError("this edge is enrolled for location '\(stored.location)', not '\(location)'; use another --data directory")
            }
            identity = stored
            return stored
        }
        guard let token = options.enrollToken else {
            throw EdgeAgentError("this edge is not enrolled: pass --enroll TOKEN (create one with `moat edges create --location ID`)")
        }
        var backoff = Backoff()
        while true {
            do {
                let answer = try await client.enroll(token: token, hostname: ProcessInfo.processInfo.hostName, agentVersion: options.agentVersion)
                if let location = options.location, location != answer.location {
                    throw EdgeAgentError("the enrolment token is for location '\(answer.location)', not '\(location)'")
                }
                let identity = EdgeIdentity(edgeID: answer.edgeID, location: answer.location, credential: answer.credential)
                try identity.save(in: options.dataDirectory)
                self.identity = identity
                logger.notice("enrolled", metadata: ["edge": "\(answer.edgeID)", "location": "\(answer.location)"])
                return identity
            } catch let error as APIClientError where error.status != 0 {
                throw EdgeAgentError("enrolment refused: \(error.message)")
            } catch let error as APIClientError {
                logger.warning("core unreachable, retrying enrolment", metadata: ["error": "\(error.message)"])
                try await Task.sleep(for: backoff.next())
            }
        }
    }

    func syncLoop(_ identity: EdgeIdentity) async {
        var backoff = Backoff()
        var reportedAgent = false
        while !Task.isCancelled {
            do {
                if !reportedAgent {
                    try await client.report(identity: identity, EdgeStatusReport(appliedVersion: current?.version, agentVersion: options.agentVersion))
                    reportedAgent = true
                }
                let next = try await client.next(identity: identity, seen: seen, applied: current?.version, wait: options.pollWait)
                lastSync = Date()
                options.contact?.touch()
                if !reachedCore {
                    reachedCore = true
                    metrics.runningFromDisk.set(to: 0)
                }
                backoff.reset()
                if let next { await apply(next, identity: identity) }
            } catch {
                if Task.isCancelled { return }
                metrics.syncErrors.increment()
                lastError = "\(error)"
                logger.warning("sync failed; keeping the running config", metadata: ["error": "\(error)", "applied": "\(current?.version ?? 0)"])
                try? await Task.sleep(for: backoff.next())
            }
        }
    }

    /// Sends the rule counters and tunnel probe summaries of the parts that keep them, every
    /// `telemetryInterval`; tunnel state changes go at once (and again with the next report if
    /// that send failed).
    func telemetryLoop(_ identity: EdgeIdentity) async {
        let counters = pipeline.appliers.compactMap { $0 as? any RuleCounterSource }
        let health = pipeline.appliers.compactMap { $0 as? any TunnelHealthSource }
        let proxies = pipeline.appliers.compactMap { $0 as? any ProxyEventSource }
        let attacks = pipeline.appliers.compactMap { $0 as? any AttackEventSource }
        guard !counters.isEmpty || !health.isEmpty || !proxies.isEmpty || !attacks.isEmpty else { return await Self.sleepUntilCancelled() }
        await withTaskGroup(of: Void.self) { group in
            for source in attacks {
                group.addTask {
                    for await attack in source.attackReports {
                        await self.sendAttacks([attack], identity: identity)
                    }
                }
            }
            for source in health {
                group.addTask {
                    for await change in source.stateChanges {
                        await self.sendStateChanges([change], identity: identity)
                    }
                }
            }
            group.addTask { await self.periodicTelemetry(identity, counters: counters, health: health, proxies: proxies) }
            await group.next()
            group.cancelAll()
        }
    }

    private func periodicTelemetry(_ identity: EdgeIdentity, counters: [any RuleCounterSource], health: [any TunnelHealthSource],
                                   proxies: [any ProxyEventSource]) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.telemetryInterval)
            var hits: [String: UInt64] = [:]
            for source in counters {
                guard let counted = try? await source.ruleHits() else { continue }
                hits.merge(counted, uniquingKeysWith: +)
            }
            let events = unsentStateChanges
            unsentStateChanges = []
            let samples = unsentSamples + health.flatMap { $0.healthSamples() }
            unsentSamples = []
            let connections = unsentProxyEvents + proxies.flatMap { $0.drainEvents() }
            unsentProxyEvents = []
            let attacks = Array(unsentAttacks.values)
            unsentAttacks = [:]
            let unserved = proxies.isEmpty ? nil : proxies.reduce(into: [String: String]()) { $0.merge($1.unservedApps) { first, _ in first } }
            let telemetry = EdgeTelemetry(ruleHits: hits, tunnelHealth: samples, tunnelEvents: events, proxyEvents: connections, unservedApps: unserved,
                                          attacks: attacks)
            do {
                try await client.sendTelemetry(identity: identity, telemetry)
            } catch {
                if Task.isCancelled { return }
                // Core counts a resent sample once (same tunnel, edge and start).
                unsentStateChanges = Array((events + unsentStateChanges).suffix(1000))
                unsentSamples = Array(samples.suffix(10_000))
                unsentProxyEvents = Array(connections.suffix(50_000))
                for attack in attacks where unsentAttacks[attack.id] == nil { unsentAttacks[attack.id] = attack }
                logger.warning("telemetry failed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func sendStateChanges(_ changes: [TunnelStateChange], identity: EdgeIdentity) async {
        do {
            try await client.sendTelemetry(identity: identity, EdgeTelemetry(tunnelEvents: changes))
        } catch {
            unsentStateChanges = Array((unsentStateChanges + changes).suffix(1000))
            logger.warning("tunnel state change not reported yet", metadata: ["error": "\(error)"])
        }
    }

    /// Attack events go at once; a failed send goes with the next periodic report.
    private func sendAttacks(_ attacks: [Attack], identity: EdgeIdentity) async {
        do {
            try await client.sendTelemetry(identity: identity, EdgeTelemetry(attacks: attacks))
        } catch {
            for attack in attacks { unsentAttacks[attack.id] = attack }
            if unsentAttacks.count > 10_000 { unsentAttacks = Dictionary(uniqueKeysWithValues: unsentAttacks.sorted { $0.value.startedAt > $1.value.startedAt }.prefix(10_000).map { ($0.key, $0.value) }) }
            logger.warning("attack report not sent yet", metadata: ["error": "\(error)"])
        }
    }

    static func sleepUntilCancelled() async {
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }

    func apply(_ config: EdgeConfig, identity: EdgeIdentity) async {
        seen = max(seen, config.version)
        do {
            guard config.location == identity.location else {
                throw ApplyError(part: "agent", reason: "config is for location '\(config.location)', this edge serves '\(identity.location)'")
            }
            try await pipeline.apply(config, previous: current)
            try await lastKnownGood.saveOffPool(config)
            current = config
            lastError = nil
            metrics.appliedVersion.set(to: Double(config.version))
            logger.info("applied config", metadata: ["version": "\(config.version)"])
            options.onApplied?(config.version)
        } catch {
            metrics.applyFailures.increment()
            lastError = "\(error)"
            logger.error("config did not apply; the previous one stays in force", metadata: ["version": "\(config.version)", "error": "\(error)"])
            try? await client.report(identity: identity, EdgeStatusReport(appliedVersion: current?.version, agentVersion: options.agentVersion,
                                                                          failedVersion: config.version, error: "\(error)"))
        }
    }
}

package struct EdgeAgentError: Error, CustomStringConvertible {
    package var description: String
    init(_ description: String) { self.description = description }
}

/// Exponential backoff with jitter, from 100 ms to 10 s.
struct Backoff {
    private var attempt = 0

    mutating func next() -> Duration {
        let base = min(10.0, 0.1 * pow(2.0, Double(attempt)))
        attempt = min(attempt + 1, 16)
        return .milliseconds(Int(base * Double.random(in: 0.5...1.0) * 1000))
    }

    mutating func reset() { attempt = 0 }
}
