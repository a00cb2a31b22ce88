import ArgumentParser
import Foundation
import Logging
import MoatEdge
import ServiceLifecycle

struct EdgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edge",
        abstract: "Run the edge agent, or drain it and show its BGP sessions.",
        discussion: "`moat edge --core URL` runs the agent (the `run` subcommand is the default).",
        subcommands: [Run.self, Drain.self, Undrain.self, BGPStatus.self],
        defaultSubcommand: Run.self
    )
}

extension EdgeCommand {
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the edge agent: sync config from core and program this machine's data plane.",
        discussion: """
        The first start enrols with a one-time token (`moat edges create --location ID` makes one) and
        keeps the edge's credential in DIR/credential. Every applied config is kept in DIR/config.json;
        the agent starts from it, and keeps enforcing it while core is unreachable.
        """
    )

    @Option(name: .long, help: "URL of core, e.g. http://192.0.2.1:7480.")
    var core: String

    @Option(name: .long, help: "One-time enrolment token (needed on the first start only).")
    var enroll: String?

    @Option(name: .long, help: "The location this edge serves (checked against its enrolment).")
    var location: String?

    @Option(name: .long, help: "Data directory (credential, last-known-good config).")
    var data: String = "./moat-edge"

    @Option(name: .long, help: "Address of the local health and metrics endpoint (HOST:PORT), or 'off'.")
    var listen: String = "127.0.0.1:7481"

    @OptionGroup var dataPlane: DataPlaneOptions

    @Option(help: "Seconds between counter reports to core.")
    var telemetryInterval: Double = 10

    @OptionGroup var log: LogOptions

    func validate() throws {
        guard core.hasPrefix("http://") || core.hasPrefix("https://") else {
            throw ValidationError("--core must be an http:// or https:// URL, got '\(core)'")
        }
        if listen != "off", ListenAddress(argument: listen) == nil {
            throw ValidationError("--listen must be HOST:PORT or 'off', got '\(listen)'")
        }
    }

    func run() async throws {
        let logger = log.makeLogger("moat.edge")
        let options = EdgeAgent.Options(coreURL: core, dataDirectory: URL(fileURLWithPath: data), location: location,
                                        enrollToken: enroll, agentVersion: Moat.version)
        var agentOptions = options
        agentOptions.telemetryInterval = .milliseconds(Int(max(0.1, telemetryInterval) * 1000))
        let plane = try dataPlane.build(logger: logger, dataDirectory: URL(fileURLWithPath: data))
        agentOptions.contact = plane.contact
        agentOptions.asn = plane.asn
        let agent = EdgeAgent(options: agentOptions, appliers: plane.appliers, logger: logger)
        var services: [any Service] = []
        if let address = ListenAddress(argument: listen) {
            services.append(EdgeHTTP.application(agent: agent, bgp: plane.bgp, host: address.host, port: address.port, logger: logger))
        }
        services.append(agent)
        if let bgp = plane.bgp { services.append(bgp) }
        if let ddos = plane.ddos { services.append(ddos) }
        if let proxy = plane.proxy { services.append(proxy) }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch let error as EdgeAgentError {
            throw CLIError(error.description)
        }
    }
}

}

/// A fatal error the CLI prints on one line.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
