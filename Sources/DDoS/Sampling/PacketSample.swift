import MoatModel

/// What the detector keeps of one sampled packet: the header fields an attack fingerprint is
/// made of. Parsed from the network header onwards (NFLOG hands over the IP packet).
package struct PacketSample: Hashable, Sendable {
    package var source: IPAddress
    package var destination: IPAddress
    /// IPv4 protocol or IPv6 next header after extension headers (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6).
    package var protocolNumber: UInt8
    /// Whole IP packet length in bytes (IPv4 total length; IPv6 payload length + 40).
    package var length: UInt16
    /// IPv4 TTL or IPv6 hop limit.
    package var ttl: UInt8
    /// TCP/UDP ports; nil for other protocols and for non-first fragments.
    package var sourcePort: UInt16?
    package var destinationPort: UInt16?
    /// TCP flags byte (FIN 0x01 … CWR 0x80); nil unless TCP.
    package var tcpFlags: UInt8?
    /// ICMP / ICMPv6 type; nil unless ICMP.
    package var icmpType: UInt8?
    /// A fragment (first or later): its ports, if any, are not to be trusted for rules.
    package var isFragment: Bool

    package init(source: IPAddress, destination: IPAddress, protocolNumber: UInt8, length: UInt16, ttl: UInt8,
                 sourcePort: UInt16? = nil, destinationPort: UInt16? = nil, tcpFlags: UInt8? = nil,
                 icmpType: UInt8? = nil, isFragment: Bool = false) {
        self.source = source
        self.destination = destination
        self.protocolNumber = protocolNumber
        self.length = length
        self.ttl = ttl
        self.sourcePort = sourcePort
        self.destinationPort = destinationPort
        self.tcpFlags = tcpFlags
        self.icmpType = icmpType
        self.isFragment = isFragment
    }
}
