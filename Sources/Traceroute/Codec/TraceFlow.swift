import MoatModel
import Tunnels

/// What stays the same in every probe of one trace, so that routers that balance per flow send
/// them all the same way (Paris traceroute, Augustin et al., IMC 2006): protocol, addresses and
/// the fields load balancers hash (ports; for ICMP the type, code and checksum; for IPv6 also
/// the flow label, always 0).
///
/// It is also what a reply must quote to count for this trace: two traces running at once on one
/// edge differ in `identifier`, so neither takes the other's answers.
package struct TraceFlow: Hashable, Sendable {
    package var packetType: TracerouteOptions.PacketType
    /// The edge's address; for `gre`, the tunnel's Moat endpoint.
    package var source: IPAddress
    /// The target's address; for `gre`, the tunnel's customer endpoint. Same family as `source`.
    package var destination: IPAddress
    /// The ICMP echo identifier, or the UDP/TCP source port; for `gre`, the trace's tag
    /// (0..<``TraceProbeEncoder/greTags``), also the inner echo's identifier.
    package var identifier: UInt16
    /// The UDP/TCP destination port; 0 for ICMP and GRE.
    package var port: UInt16
    /// TCP: the high half of every SYN's sequence number (the low half numbers the probe); 0 otherwise.
    package var sequenceHigh: UInt16

    package init(packetType: TracerouteOptions.PacketType, source: IPAddress, destination: IPAddress, identifier: UInt16,
                 port: UInt16 = 0, sequenceHigh: UInt16 = 0) {
        self.packetType = packetType
        self.source = source
        self.destination = destination
        self.identifier = identifier
        self.port = packetType == .udp || packetType == .tcp ? port : 0
        self.sequenceHigh = packetType == .tcp ? sequenceHigh : 0
    }

    /// An IPv4 flow (addresses in host byte order).
    package init(packetType: TracerouteOptions.PacketType, source: UInt32, destination: UInt32, identifier: UInt16,
                 port: UInt16 = 0, sequenceHigh: UInt16 = 0) {
        self.init(packetType: packetType, source: .v4(source), destination: .v4(destination), identifier: identifier, port: port,
                  sequenceHigh: sequenceHigh)
    }

    package var isIPv6: Bool { !destination.isIPv4 }

    /// The protocol of the probe's (outer) IP header: its next header for IPv6.
    package var ipProtocol: UInt8 {
        switch packetType {
        case .icmp: return isIPv6 ? TraceProbeEncoder.protocolICMPv6 : IPv4Header.protocolICMP
        case .udp: return IPv4Header.protocolUDP
        case .tcp: return IPv4Header.protocolTCP
        case .gre: return IPv4Header.protocolGRE
        }
    }
}

/// The inside of a `gre` trace's probes: an ICMP echo request from the edge's side of the
/// tunnel's interface address to the customer router's side, which the customer router answers
/// back through the tunnel.
package struct TraceTunnel: Hashable, Sendable {
    /// The edge's side of the interface address (host byte order).
    package var innerSource: UInt32
    /// The customer router's side.
    package var innerDestination: UInt32

    package init(innerSource: UInt32, innerDestination: UInt32) {
        self.innerSource = innerSource
        self.innerDestination = innerDestination
    }
}
