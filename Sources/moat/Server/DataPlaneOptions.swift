import ArgumentParser
import LinuxNet
import Logging
import MoatEdge

/// Which data-plane parts the edge programs on this machine.
struct DataPlaneOptions: ParsableArguments {
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case auto, on, off
    }

    @Option(help: "Program the firewall with nftables: auto (when root and nft is installed), on, off.")
    var firewall: Mode = .auto

    @Option(help: ArgumentHelp(
        "Run the userspace GRE data path and tunnel health probes: auto (when root, once a tunnel exists), on, off.",
        discussion: "It opens the TUN device moat-gre, routes every route prefix into it and sets net.ipv4.ip_forward=1."))
    var tunnels: Mode = .auto

    func appliers(logger: Logger) throws -> [any ConfigApplier] {
        var appliers: [any ConfigApplier] = []
        switch firewall {
        case .off:
            logger.notice("firewall off (--firewall off): rules are received but not enforced")
        case .on:
            guard SystemUser.isRoot else { throw ValidationError("--firewall on needs root to program nftables") }
            guard Nft.isInstalled else { throw ValidationError("--firewall on needs nft: apt-get install nftables") }
            appliers.append(FirewallApplier())
        case .auto:
            if SystemUser.isRoot && Nft.isInstalled {
                appliers.append(FirewallApplier())
            } else {
                logger.notice("firewall off: programming nftables needs root and nft (apt-get install nftables); rules are received but not enforced")
            }
        }
        switch tunnels {
        case .off:
            logger.notice("tunnels off (--tunnels off): tunnels and routes are received but not programmed")
        case .on:
            guard SystemUser.isRoot else { throw ValidationError("--tunnels on needs root to open a TUN device and raw sockets") }
            guard Command.isInstalled("ip") else { throw ValidationError("--tunnels on needs ip: apt-get install iproute2") }
            guard Nft.isInstalled else { throw ValidationError("--tunnels on needs nft for the TCP MSS clamp: apt-get install nftables") }
            appliers.append(try TunnelApplier(openNow: true, logger: logger))
        case .auto:
            if SystemUser.isRoot && Command.isInstalled("ip") && Nft.isInstalled {
                appliers.append(try TunnelApplier(openNow: false, logger: logger))
            } else {
                logger.notice("tunnels off: the GRE data path needs root, ip and nft; tunnels and routes are received but not programmed")
            }
        }
        return appliers
    }
}
