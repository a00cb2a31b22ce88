import MoatModel

/// What sends the port ranges of Spectrum apps to their transparent sockets: one nftables
/// table of its own (so loading it never touches the firewall's `inet moat`) and the policy
/// routing that delivers marked packets locally.
///
/// Kernel `Documentation/networking/tproxy.rst`: the TPROXY statement hands a packet to a local
/// socket without changing its destination, `meta mark set` tags it, and
/// `ip rule add fwmark M lookup T` with `ip route add local 0.0.0.0/0 dev lo table T` makes the
/// routing decision deliver it to this host. Established TCP flows of the transparent sockets
/// are found with `socket transparent 1` and take the same mark.
package struct TProxyRuleset: Equatable, Sendable {
    /// One app's range and the port of the socket it goes to.
    package struct Entry: Equatable, Sendable {
        package var appID: String
        package var proto: SpectrumApp.TransportProtocol
        /// nil: every local address of the edge.
        package var edgeAddress: IPAddress?
        package var ports: SpectrumApp.PortRange
        package var socketPort: Int

        package init(appID: String, proto: SpectrumApp.TransportProtocol, edgeAddress: IPAddress?, ports: SpectrumApp.PortRange, socketPort: Int) {
            self.appID = appID
            self.proto = proto
            self.edgeAddress = edgeAddress
            self.ports = ports
            self.socketPort = socketPort
        }
    }

    package static let table = "moat_proxy"
    /// The packet mark of diverted packets, and the routing table their rule looks up ("MP").
    package static let mark: UInt32 = 0x4d50
    package static let routeTable = 19792

    package var entries: [Entry]

    package init(entries: [Entry]) {
        self.entries = entries.sorted { ($0.appID, $0.proto.rawValue) < ($1.appID, $1.proto.rawValue) }
    }

    private static var markText: String { "0x" + String(mark, radix: 16) }

    /// The table, replaced as one transaction by `nft -f`: declaring it first makes the delete
    /// succeed when it does not exist yet.
    package var text: String {
        var rules = [
            "type filter hook prerouting priority mangle; policy accept;",
            "meta l4proto tcp socket transparent 1 meta mark set \(Self.markText) accept",
        ]
        for entry in entries { rules.append(Self.rule(entry)) }
        return """
        table inet \(Self.table) {}
        delete table inet \(Self.table)
        table inet \(Self.table) {
        \tchain prerouting {
        \(rules.map { "\t\t" + $0 }.joined(separator: "\n"))
        \t}
        }

        """
    }

    static func rule(_ entry: Entry) -> String {
        let port = "\(entry.proto.rawValue) dport \(entry.ports)"
        let target: String
        let destination: String
        switch entry.edgeAddress {
        case .none:
            // Only this edge's own addresses: traffic it forwards keeps its way.
            destination = "fib daddr type local"
            target = "tproxy to :\(entry.socketPort)"
        case .some(let address) where address.isIPv4:
            destination = "ip daddr \(address)"
            target = "tproxy ip to :\(entry.socketPort)"
        case .some(let address):
            destination = "ip6 daddr \(address)"
            target = "tproxy ip6 to :\(entry.socketPort)"
        }
        return "\(destination) \(port) \(target) meta mark set \(markText) accept comment \"\(entry.appID)\""
    }

    /// `ip` arguments that install the policy routing, per family.
    package static func routingAdd(ipv6: Bool) -> [[String]] {
        let family = ipv6 ? "-6" : "-4"
        return [[family, "rule", "add", "fwmark", markText, "lookup", String(routeTable)],
                [family, "route", "replace", "local", ipv6 ? "::/0" : "0.0.0.0/0", "dev", "lo", "table", String(routeTable)]]
    }

    /// `ip` arguments that remove it again (each may fail when already gone).
    package static func routingDelete(ipv6: Bool) -> [[String]] {
        let family = ipv6 ? "-6" : "-4"
        return [[family, "rule", "del", "fwmark", markText, "lookup", String(routeTable)],
                [family, "route", "flush", "table", String(routeTable)]]
    }
}
