import MoatModel
import Traceroute

/// Where an edge finds the AS of an address on a trace: the origin AS of the best route in its
/// BGP table when it has one, else the operator's IP-to-ASN file (`moat edge --asn-file`), which
/// also names AS numbers that came from BGP.
package struct ASNResolver: Sendable {
    let bgp: (any OriginASLookup)?
    let table: ASNTable?

    package init(bgp: (any OriginASLookup)? = nil, table: ASNTable? = nil) {
        self.bgp = bgp
        self.table = table
    }

    package func lookup(_ address: IPAddress) -> (asn: UInt32, name: String?)? {
        if let asn = bgp?.originAS(of: address) { return (asn, table?.name(of: asn)) }
        guard let entry = table?.lookup(address) else { return nil }
        return (entry.asn, entry.name)
    }

    /// The hops with every node's AS filled in where known.
    package func annotate(_ hops: [TracerouteHop]) -> [TracerouteHop] {
        hops.map { hop in
            var hop = hop
            for index in hop.nodes.indices {
                guard let found = lookup(hop.nodes[index].address) else { continue }
                hop.nodes[index].asn = found.asn
                hop.nodes[index].asName = found.name
            }
            return hop
        }
    }
}

/// A BGP table asked for the AS that originates the longest prefix covering an address.
package protocol OriginASLookup: Sendable {
    func originAS(of address: IPAddress) -> UInt32?
}

extension BGPApplier: OriginASLookup {}
