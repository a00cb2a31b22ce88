import ArgumentParser

@main
struct Moat: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "moat",
        abstract: "A self-hosted network edge: BGP anycast, filtering, GRE tunnels and an L4 proxy, run from one control plane.",
        discussion: """
        Run Moat on one machine with `moat up`; run the roles apart with `moat core` and `moat edge`.
        The other commands are clients of the HTTP API: they read the URL and token from --url/--token
        or MOAT_URL/MOAT_TOKEN (default URL http://127.0.0.1:7480).
        """,
        version: version,
        subcommands: [
            UpCommand.self, CoreCommand.self, EdgeCommand.self, GREEndpointCommand.self, ProxyCommand.self, LabCommand.self,
            AccountsCommand.self, TokensCommand.self, LocationsCommand.self, EdgesCommand.self, BGPPeersCommand.self,
            PrefixesCommand.self, OriginValidationCommand.self, TunnelsCommand.self, RoutesCommand.self, AppsCommand.self, FirewallCommand.self, AuditCommand.self,
            TracerouteCommand.self, DDoSCommand.self, AttacksCommand.self,
        ]
    )
}
