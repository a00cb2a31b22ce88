import LinuxNet
import Logging
import Proxy

/// Programs ``TProxyRuleset`` on this machine: the policy routing with `ip`, the table with
/// `nft -f` (one transaction, in a table of its own), and removes both again.
struct TProxyRouting: Sendable {
    var nft = Nft()

    /// Why this edge cannot serve port ranges, or nil when it can.
    static var unsupportedReason: String? {
        if !SystemUser.hasNetAdmin {
            return "port ranges need CAP_NET_ADMIN (run the edge as root): nftables TPROXY sends the range to one transparent socket; single ports work without it"
        }
        if !Nft.isInstalled { return "port ranges need nft for TPROXY: apt-get install nftables" }
        if !Command.isInstalled("ip") { return "port ranges need ip for policy routing: apt-get install iproute2" }
        return nil
    }

    /// Installs the routing (again, so a rule left by a crash is not doubled) and loads the table.
    func load(_ ruleset: TProxyRuleset, logger: Logger) throws {
        removeRouting()
        for arguments in TProxyRuleset.routingAdd(ipv6: false) { try Command("ip", arguments, timeout: .seconds(10)).check() }
        do {
            for arguments in TProxyRuleset.routingAdd(ipv6: true) { try Command("ip", arguments, timeout: .seconds(10)).check() }
        } catch {
            // An edge without IPv6 still serves IPv4 ranges.
            logger.warning("port ranges: no IPv6 policy routing for TPROXY", metadata: ["error": "\(error)"])
        }
        try nft.load(ruleset.text)
    }

    /// Removes the table and the routing; what is already gone is fine.
    func remove() {
        try? nft.deleteTable(TProxyRuleset.table)
        removeRouting()
    }

    private func removeRouting() {
        for ipv6 in [false, true] {
            let arguments = TProxyRuleset.routingDelete(ipv6: ipv6)
            // A rule added twice needs deleting twice; stop at the first "not there".
            for _ in 0..<8 {
                guard let result = try? Command("ip", arguments[0], timeout: .seconds(10)).run(), result.succeeded else { break }
            }
            _ = try? Command("ip", arguments[1], timeout: .seconds(10)).run()
        }
    }
}
