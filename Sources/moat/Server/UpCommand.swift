import ArgumentParser
import Foundation
import Logging
import MoatCore
import MoatEdge
import MoatModel
import ServiceLifecycle

struct UpCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Run core and one edge (location 'local') in one process: the way to try Moat.",
        discussion: "Data lives in DIR (default ./moat-data); a restart keeps it. Ctrl-C stops everything cleanly."
    )

    @Option(name: .long, help: "Data directory.")
    var data: String = "./moat-data"

    @Option(name: .long, help: "Address and port of the API (HOST:PORT).")
    var listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 7480)

    @Option(name: .long, help: "Address of the edge's health and metrics endpoint (HOST:PORT), or 'off'.")
    var edgeListen: String = "127.0.0.1:7481"

    @OptionGroup var dataPlane: DataPlaneOptions

    @Option(help: "Seconds between counter reports to core.")
    var telemetryInterval: Double = 10

    @OptionGroup var log: LogOptions

    static let localLocation = LocationSpec(id: "local", name: "Local", region: "LOCAL")

    func validate() throws {
        guard listen.port != 0 else { throw ValidationError("--listen needs a fixed port for the in-process edge") }
        if edgeListen != "off", ListenAddress(argument: edgeListen) == nil {
            throw ValidationError("--edge-listen must be HOST:PORT or 'off', got '\(edgeListen)'")
        }
    }

    func run() async throws {
        let logger = log.makeLogger("moat")
        let dataDirectory = URL(fileURLWithPath: data)
        let configuration = CoreConfiguration(dataDirectory: dataDirectory, host: listen.host, port: listen.port, logger: logger)
        let core = try await CoreServer.open(configuration)

        // The in-process edge enrols over HTTP like any other edge, at location `local`.
        let edgeDirectory = dataDirectory.appendingPathComponent("edge")
        var enrollToken: String?
        if (try? EdgeIdentity.load(from: edgeDirectory)) ?? nil == nil {
            if (try? await core.store.location(Self.localLocation.id)) == nil {
                _ = try await core.store.createLocation(Self.localLocation, actor: "moat")
            }
            enrollToken = try await core.createEnrollment(location: Self.localLocation.id, name: "local")
        }
        let url = core.url
        let options = EdgeAgent.Options(coreURL: url, dataDirectory: edgeDirectory, location: Self.localLocation.id,
                                        enrollToken: enrollToken, agentVersion: Moat.version)
        var agentOptions = options
        agentOptions.telemetryInterval = .milliseconds(Int(max(0.1, telemetryInterval) * 1000))
        let plane = try dataPlane.build(logger: logger, dataDirectory: edgeDirectory)
        agentOptions.contact = plane.contact
        agentOptions.asn = plane.asn
        let agent = EdgeAgent(options: agentOptions, appliers: plane.appliers, logger: logger)

        let tokenPath = configuration.operatorTokenPath
        var services: [any Service] = core.services { _ in Banner.printCore(url: url, tokenPath: tokenPath) }
        if let address = ListenAddress(argument: edgeListen) {
            services.append(EdgeHTTP.application(agent: agent, bgp: plane.bgp, host: address.host, port: address.port, logger: logger))
        }
        services.append(agent)
        if let bgp = plane.bgp { services.append(bgp) }
        if let ddos = plane.ddos { services.append(ddos) }
        if let proxy = plane.proxy { services.append(proxy) }
        // Services stop in reverse order: the edge first, the API last.
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
    }
}
