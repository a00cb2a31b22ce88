import Foundation
import Hummingbird
import LinuxNet
import Logging
import MoatModel
import ServiceLifecycle

/// Where and how core runs.
package struct CoreConfiguration: Sendable {
    package var dataDirectory: URL
    package var host: String
    package var port: Int
    package var logger: Logger
    /// What time it is: the store's timestamps, telemetry and tunnel health read it. Tests pass
    /// their own to move time without sleeping.
    package var clock: @Sendable () -> Date

    package init(dataDirectory: URL, host: String = "127.0.0.1", port: Int = 7480, logger: Logger = Logger(label: "moat.core"),
                 clock: @escaping @Sendable () -> Date = { Date() }) {
        self.dataDirectory = dataDirectory
        self.host = host
        self.port = port
        self.logger = logger
        self.clock = clock
    }

    package var databasePath: String { dataDirectory.appendingPathComponent("moat.sqlite").path }
    package var operatorTokenPath: String { dataDirectory.appendingPathComponent("operator-token").path }
}

/// The parts of a running core: store, broadcaster, metrics and the HTTP application.
package struct CoreServer: Sendable {
    package let configuration: CoreConfiguration
    package let store: any Store
    package let broadcaster: ConfigBroadcaster
    package let presence: EdgePresence
    package let metrics: CoreMetrics
    /// Traceroute jobs waiting for edges.
    package let jobs = EdgeJobQueue()
    /// The Spectrum apps each edge reports it does not serve.
    package let appBoard = AppServiceBoard()
    let tracerouteLimiter = SharedTracerouteLimiter()

    /// Opens (or creates) the data directory and the store, and makes sure an operator token exists.
    package static func open(_ configuration: CoreConfiguration) async throws -> CoreServer {
        try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let broadcaster = ConfigBroadcaster()
        let metrics = CoreMetrics()
        let store = try SQLiteStore(path: configuration.databasePath, clock: configuration.clock, configsChanged: { changed in
            Task { await broadcaster.publish(changed) }
        })
        try await broadcaster.load(store.compiledConfigs())
        let server = CoreServer(configuration: configuration, store: store, broadcaster: broadcaster, presence: EdgePresence(), metrics: metrics)
        try await server.ensureOperatorToken()
        return server
    }

    /// The first start writes a new operator token to `DIR/operator-token` (mode 0600) before
    /// storing its hash, so a crash in between cannot leave a token nobody knows.
    func ensureOperatorToken() async throws {
        let path = configuration.operatorTokenPath
        let existing = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        let secret: String
        if let existing, TokenSecret.looksValid(existing) {
            secret = existing
        } else {
            secret = TokenSecret.generate()
            try SecretFile.write(secret + "\n", to: path)
        }
        if try await store.ensureOperatorToken(hash: TokenSecret.hash(secret)) {
            configuration.logger.info("created the operator token", metadata: ["path": "\(path)"])
        }
    }

    /// Replaces the operator token (when the file was lost) and writes the new one.
    package func resetOperatorToken() async throws {
        let secret = TokenSecret.generate()
        try SecretFile.write(secret + "\n", to: configuration.operatorTokenPath)
        try await store.replaceOperatorToken(hash: TokenSecret.hash(secret))
    }

    package var url: String { "http://\(configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host):\(configuration.port)" }

    /// The HTTP application: a Service for the process's ServiceGroup.
    package func application(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let (router, _) = buildRouter()
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "moat"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: configuration.logger
        )
    }

    /// Everything core runs, in ServiceGroup order: services stop in reverse, so the long-polls
    /// are ended before the HTTP server drains its connections.
    package func services(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> [any Service] {
        [PresenceFlusher(presence: presence, store: store), application(onServerRunning: onServerRunning),
         LongPollCloser(broadcaster: broadcaster, jobs: jobs)]
    }

    /// The router with every controller; also answers the registered routes.
    package func buildRouter() -> (Router<MoatRequestContext>, [APIRouter.Entry]) {
        let router = Router(context: MoatRequestContext.self)
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: AuthMiddleware(store: store))
        let api = APIRouter(router: router)
        HealthController(store: store, metrics: metrics, broadcaster: broadcaster).register(on: api)
        AccountsController(store: store).register(on: api)
        LocationsController(store: store).register(on: api)
        BGPPeersController(store: store).register(on: api)
        EdgesController(store: store, broadcaster: broadcaster, presence: presence).register(on: api)
        let prefixes = PrefixesController(store: store)
        prefixes.register(on: api)
        DDoSController(store: store).register(on: api)
        OriginValidationController(store: store, originCheck: { try await prefixes.originCheck() }).register(on: api)
        TunnelsController(store: store).register(on: api)
        TunnelHealthController(store: store, clock: configuration.clock).register(on: api)
        RoutesController(store: store).register(on: api)
        AppsController(store: store, board: appBoard).register(on: api)
        FirewallController(store: store).register(on: api)
        AuditController(store: store).register(on: api)
        EdgeSyncController(store: store, broadcaster: broadcaster, presence: presence, appBoard: appBoard, metrics: metrics, clock: configuration.clock).register(on: api)
        TracerouteController(store: store, jobs: jobs, broadcaster: broadcaster, limiter: tracerouteLimiter, clock: configuration.clock).register(on: api)
        EdgeJobsController(store: store, jobs: jobs, clock: configuration.clock).register(on: api)
        return (router, api.entries)
    }
}

/// Writes a secret readable by its owner only, atomically.
package enum SecretFile {
    package static func write(_ text: String, to path: String) throws {
        try AtomicFile.write(Data(text.utf8), to: path, mode: 0o600)
    }
}

extension CoreServer {
    /// Makes an enrolment for an edge of `location` and answers its one-time token.
    package func createEnrollment(location: String, name: String?) async throws -> String {
        let secret = TokenSecret.generate()
        _ = try await store.createEdge(EdgeSpec(location: location, name: name), enrollmentHash: TokenSecret.hash(secret),
                                       expiresAt: Date().addingTimeInterval(3600), actor: "moat")
        return secret
    }
}

/// Ends the edges' long-polls when shutdown begins.
struct LongPollCloser: Service {
    let broadcaster: ConfigBroadcaster
    let jobs: EdgeJobQueue

    func run() async throws {
        try? await gracefulShutdown()
        await broadcaster.close()
        await jobs.close()
    }
}
