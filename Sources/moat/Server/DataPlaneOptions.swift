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
        return appliers
    }
}
