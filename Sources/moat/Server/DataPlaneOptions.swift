import ArgumentParser
import Foundation
import NIOCore
import LinuxNet
import Logging
import MoatEdge
import Synchronization
import Traceroute
import DDoS

/// Which data-plane parts the edge programs on this machine.
struct DataPlaneOptions: ParsableArguments {
    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case auto, on, off
    }

    @Option(help: "Program the firewall with nftables: auto (when root and nft is installed), on, off.")
    var firewall: Mode = .auto

    @Option(help: ArgumentHelp(
        "DDoS protection: managed rules, sampling to NFLOG, detection and automatic mitigation: auto (when root and nft is installed), on, off.",
        discussion: "It loads the nftables tables moat_ddos (managed rules, sampling) and moat_mitigate (drop rules of attacks) and reads NFLOG group --ddos-nflog-group."))
    var ddos: Mode = .auto

    @Option(help: "NFLOG group the sampled packets go to (one reader per group and namespace).")
    var ddosNflogGroup: UInt16 = 7

    @Option(help: ArgumentHelp(
        "Run the userspace GRE data path and tunnel health probes: auto (when root, once a tunnel exists), on, off.",
        discussion: "It opens the TUN device moat-gre, routes every route prefix into it and sets net.ipv4.ip_forward=1."))
    var tunnels: Mode = .auto

    @Option(help: ArgumentHelp(
        "Run the BGP speaker for the location's peers: on, off.",
        discussion: "It announces the advertised prefixes this edge can deliver: fresh config, and a tunnel that is not down on a route into the prefix."))
    var bgp: Mode = .on

    @Option(help: "Run the location's Spectrum apps (the L4 proxy): on, off.")
    var proxy: Mode = .on

    @Option(help: "Event loop threads of the L4 proxy (default: one per core).")
    var proxyThreads: Int = System.coreCount

    @Option(help: "TCP port where passive BGP peers connect.")
    var bgpPort: UInt16 = 179

    @Option(help: ArgumentHelp(
        "IP-to-ASN file for traceroutes: tab-separated lines 'start end asn name' (the iptoasn.com layout).",
        discussion: "A trace's AS numbers come from the BGP table when it has a route for the address, else from this file; the file also names them."))
    var asnFile: String?

    @Option(help: ArgumentHelp(
        "Withdraw every prefix when core has not answered for this many seconds; 0: never.",
        discussion: "Core being down does not stop an edge: it keeps its last config. Only a long silence makes its config too old to announce."))
    var configMaxAge: Int = 86_400

    /// The data-plane parts, in the order they apply a config (BGP last: it announces only
    /// what the parts before it programmed), and the BGP part for the local endpoint.
    struct DataPlane {
        var appliers: [any ConfigApplier]
        var bgp: BGPApplier?
        var ddos: DDoSProtection?
        /// The proxy, also a service: on shutdown it removes its TPROXY table and routing.
        var proxy: ProxyApplier?
        var contact: CoreContact
        var asn: ASNResolver
    }

    func build(logger: Logger, dataDirectory: URL) throws -> DataPlane {
        var appliers = try appliers(logger: logger)
        let protection = try ddosProtection(logger: logger)
        if let protection { appliers.insert(protection, at: 0) }
        var proxyApplier: ProxyApplier?
        if proxy != .off {
            let applier = ProxyApplier(threads: proxyThreads, logger: logger)
            appliers.append(applier)
            proxyApplier = applier
        } else {
            logger.notice("proxy off (--proxy off): Spectrum apps are received but not served")
        }
        let contact = CoreContact()
        var bgpApplier: BGPApplier?
        if bgp == .on {
            let tunnels = appliers.compactMap { $0 as? TunnelApplier }.first
            var options = BGPApplier.Options(dataDirectory: dataDirectory)
            options.listenPort = bgpPort
            options.configMaxAge = configMaxAge > 0 ? .seconds(configMaxAge) : nil
            let identity = IdentityCache(directory: dataDirectory)
            let proxies = proxyApplier
            let applier = BGPApplier(options: options, edgeID: { identity.edgeID }, tunnelStates: { tunnels?.tunnelStates },
                                     servedApps: { proxies?.servedApps ?? [] }, contact: contact, logger: logger)
            appliers.append(applier)
            bgpApplier = applier
        } else {
            logger.notice("bgp off (--bgp off): peers and prefixes are received but nothing is announced")
        }
        return DataPlane(appliers: appliers, bgp: bgpApplier, ddos: protection, proxy: proxyApplier, contact: contact, asn: ASNResolver(bgp: bgpApplier, table: try asnTable()))
    }

    /// The DDoS part, first in line: protection applies before anything is announced.
    func ddosProtection(logger: Logger) throws -> DDoSProtection? {
        var options = DDoSProtection.Options()
        options.nflogGroup = ddosNflogGroup
        switch ddos {
        case .off:
            logger.notice("ddos off (--ddos off): no managed rules, no detection")
            return nil
        case .on:
            guard SystemUser.isRoot else { throw ValidationError("--ddos on needs root to program nftables and read NFLOG") }
            guard Nft.isInstalled else { throw ValidationError("--ddos on needs nft: apt-get install nftables") }
        case .auto:
            guard SystemUser.isRoot && Nft.isInstalled else {
                logger.notice("ddos off: managed rules and detection need root and nft (apt-get install nftables)")
                return nil
            }
        }
        do {
            return try DDoSProtection(options: options, logger: logger)
        } catch {
            // auto: a root without CAP_NET_ADMIN (a container) runs without it and says why.
            guard ddos == .on else {
                logger.notice("ddos off: cannot program nftables (\(error)); no managed rules, no detection")
                return nil
            }
            throw ValidationError("--ddos on: cannot create the nftables table \(MitigationRuleset.table): \(error)")
        }
    }

    /// The `--asn-file`, read once at start; a bad line stops the edge with its number.
    func asnTable() throws -> ASNTable? {
        guard let asnFile else { return nil }
        let text: String
        do {
            text = try String(contentsOfFile: asnFile, encoding: .utf8)
        } catch {
            throw ValidationError("--asn-file \(asnFile): cannot read it: \(error.localizedDescription)")
        }
        do {
            return try ASNTable.parse(text)
        } catch {
            throw ValidationError("--asn-file \(asnFile), \(error)")
        }
    }

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

/// The edge's ID once it has enrolled, read from its data directory.
final class IdentityCache: Sendable {
    private let directory: URL
    private let cached = Mutex<String?>(nil)

    init(directory: URL) { self.directory = directory }

    var edgeID: String? {
        if let id = cached.withLock({ $0 }) { return id }
        let id = (try? EdgeIdentity.load(from: directory))??.edgeID
        cached.withLock { $0 = id }
        return id
    }
}
