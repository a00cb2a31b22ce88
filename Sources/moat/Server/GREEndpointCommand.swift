import ArgumentParser
import LinuxNet
import Logging
import MoatModel
import ServiceLifecycle
import Tunnels

/// `moat gre-endpoint`: the customer router's side of Moat's GRE tunnels, for the lab and tests
/// (and for a Linux router without a GRE module).
struct GREEndpointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gre-endpoint",
        abstract: "Terminate Moat GRE tunnels on this machine, as a customer router does (needs root).",
        discussion: """
        Each --tunnel NAME,LOCAL,REMOTE,PREFIX makes a TUN device NAME with the customer's side of
        PREFIX (the odd address of a /31, the second host of a /30), sends what the kernel routes
        into it GRE-encapsulated from LOCAL to REMOTE (the Moat endpoint), and decapsulates what
        REMOTE sends to LOCAL into it. Health probes need nothing more: reply-style probes are
        forwarded back, request-style ones answered by the kernel.

        Example: moat gre-endpoint --tunnel gre1,192.0.2.1,198.51.100.1,10.100.0.0/31
        """)

    @Option(name: .customLong("tunnel"), help: ArgumentHelp("A tunnel: NAME,LOCAL,REMOTE,PREFIX[,TTL].", valueName: "spec"))
    var tunnels: [String] = []

    @Option(help: "MTU of the tunnel devices (576-1476).")
    var mtu: Int = TunnelSpec.maximumMTU

    @OptionGroup var log: LogOptions

    struct Parsed {
        var spec: GREEndpoint.TunnelSpec
        var address: CIDR
        var customerSide: IPAddress
    }

    static func parse(_ text: String) throws -> Parsed {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 4 || parts.count == 5 else {
            throw ValidationError("--tunnel '\(text)': expected NAME,LOCAL,REMOTE,PREFIX[,TTL]")
        }
        let name = parts[0]
        guard !name.isEmpty, name.utf8.count <= TunnelSpec.maximumNameLength,
              name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw ValidationError("--tunnel '\(text)': NAME must be 1-15 letters, digits, '-' or '_'")
        }
        guard case .v4(let local)? = IPAddress(parts[1]) else { throw ValidationError("--tunnel '\(text)': LOCAL '\(parts[1])' is not an IPv4 address") }
        guard case .v4(let remote)? = IPAddress(parts[2]) else { throw ValidationError("--tunnel '\(text)': REMOTE '\(parts[2])' is not an IPv4 address") }
        guard let prefix = CIDR(parts[3]), prefix.isIPv4, prefix.length == 31 || prefix.length == 30 else {
            throw ValidationError("--tunnel '\(text)': PREFIX '\(parts[3])' must be an IPv4 /31 or /30")
        }
        var ttl: UInt8 = 64
        if parts.count == 5 {
            guard let value = UInt8(parts[4]), value > 0 else { throw ValidationError("--tunnel '\(text)': TTL '\(parts[4])' must be 1-255") }
            ttl = value
        }
        return Parsed(spec: GREEndpoint.TunnelSpec(name: name, local: local, remote: remote, ttl: ttl), address: prefix,
                      customerSide: TunnelSpec.sides(of: prefix).customer)
    }

    func validate() throws {
        guard !tunnels.isEmpty else { throw ValidationError("give at least one --tunnel NAME,LOCAL,REMOTE,PREFIX") }
        let parsed = try tunnels.map(Self.parse)
        guard Set(parsed.map(\.spec.name)).count == parsed.count else { throw ValidationError("two --tunnel options have the same NAME") }
        guard Set(parsed.map { "\($0.spec.local)-\($0.spec.remote)" }).count == parsed.count else {
            throw ValidationError("two --tunnel options have the same LOCAL and REMOTE: GRE without keys cannot tell them apart")
        }
        guard (TunnelSpec.minimumMTU...TunnelSpec.maximumMTU).contains(mtu) else {
            throw ValidationError("--mtu \(mtu) is outside \(TunnelSpec.minimumMTU)-\(TunnelSpec.maximumMTU)")
        }
        guard SystemUser.isRoot else { throw ValidationError("gre-endpoint needs root to open TUN devices and a raw socket") }
    }

    func run() async throws {
        let logger = log.makeLogger("moat.gre-endpoint")
        let parsed = try tunnels.map(Self.parse)
        let endpoint = try GREEndpoint(tunnels: parsed.map(\.spec))
        try IPRoute.setSysctl("net.ipv4.ip_forward", "1")
        try IPRoute.setSysctl("net.ipv4.conf.all.rp_filter", "0")
        for tunnel in parsed {
            try IPRoute.ensureAddress("\(tunnel.customerSide)/\(tunnel.address.length)", on: tunnel.spec.name)
            try IPRoute.setLink(tunnel.spec.name, mtu: mtu)
            try IPRoute.setSysctl("net.ipv4.conf.\(tunnel.spec.name).rp_filter", "0")
            // Reply-style probes arrive with the target (one of our addresses) as source.
            try IPRoute.setSysctl("net.ipv4.conf.\(tunnel.spec.name).accept_local", "1")
            logger.notice("tunnel \(tunnel.spec.name): \(tunnel.spec.local.dottedQuad) → \(tunnel.spec.remote.dottedQuad), inside \(tunnel.customerSide)/\(tunnel.address.length)")
        }
        let group = ServiceGroup(services: [EndpointService(endpoint: endpoint)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        try await group.run()
        logger.notice("stopped", metadata: endpoint.counters.snapshot.filter { $0.value > 0 }.mapValues { "\($0)" })
    }

    /// Runs until the process is asked to stop.
    struct EndpointService: Service {
        let endpoint: GREEndpoint
        func run() async throws {
            try? await gracefulShutdown()
            endpoint.stop()
        }
    }
}
