import MoatModel
import Tunnels

/// What stays the same in every probe of one trace, so that routers that balance per flow send
/// them all the same way (Paris traceroute, Augustin et al., IMC 2006): protocol, addresses and
/// the fields load balancers hash (ports; for ICMP the type, code and checksum).
///
/// It is also what a reply must quote to count for this trace: two traces running at once on one
/// edge differ in `identifier`, so neither takes the other's answers.
package struct TraceFlow: Hashable, Sendable {
    package var packetType: TracerouteOptions.PacketType
    /// The edge's address (host byte order).
    package var source: UInt32
    /// The target's address.
    package var destination: UInt32
    /// The ICMP echo identifier, or the UDP/TCP source port.
    package var identifier: UInt16
    /// The UDP/TCP destination port; 0 for ICMP.
    package var port: UInt16
    /// TCP: the high half of every SYN's sequence number (the low half numbers the probe); 0 otherwise.
    package var sequenceHigh: UInt16

    package init(packetType: TracerouteOptions.PacketType, source: UInt32, destination: UInt32, identifier: UInt16,
                 port: UInt16 = 0, sequenceHigh: UInt16 = 0) {
        self.packetType = packetType
        self.source = source
        self.destination = destination
        self.identifier = identifier
        self.port = packetType == .icmp ? 0 : port
        self.sequenceHigh = packetType == .tcp ? sequenceHigh : 0
    }

    package var ipProtocol: UInt8 {
        switch packetType {
        case .icmp: return IPv4Header.protocolICMP
        case .udp: return IPv4Header.protocolUDP
        case .tcp: return IPv4Header.protocolTCP
        }
    }
}
