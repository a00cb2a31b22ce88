import Foundation
import MoatModel

/// What `moat lab up` builds: an upstream router, locations with one edge each, a core, and a
/// customer network behind GRE tunnels. Every link is an IPv4 /30 whose first address is the
/// side named first (`uplink`: the router, then the edge).
///
/// ```
/// internet ── upstream (BIRD) ──uplink── edge-ams1 ──underlay── customer ── origin
///                             ──uplink── edge-fra1 ──underlay──
///             core ──management── each edge
/// ```
package struct LabTopology: Equatable, Sendable {
    package struct Location: Equatable, Sendable {
        package var name: String
        package var region: String
        /// The AS the edges of this location announce from.
        package var asn: UInt32
        /// Upstream router (first address) to the edge (second).
        package var uplink: CIDR
        /// The edge (first address: the Moat end of the location's tunnel) to the customer router.
        package var underlay: CIDR
        /// Core (first address) to the edge.
        package var management: CIDR
    }

    package var upstreamASN: UInt32
    /// Upstream router (first address) to the internet client (second).
    package var internet: CIDR
    /// The customer's prefix, announced from every location that can deliver it.
    package var customerPrefix: CIDR
    /// The origin server's address, inside the prefix.
    package var origin: IPAddress
    /// Customer router (first address) to the origin's network (second).
    package var customerInside: CIDR
    package var locations: [Location]

    package static let `default` = LabTopology(
        upstreamASN: 64512, internet: CIDR("198.18.0.0/30")!, customerPrefix: CIDR("203.0.113.0/24")!,
        origin: IPAddress("203.0.113.10")!, customerInside: CIDR("198.18.250.0/30")!,
        locations: [
            Location(name: "ams1", region: "WEUR", asn: 65010, uplink: CIDR("198.18.1.0/30")!, underlay: CIDR("100.64.1.0/30")!,
                     management: CIDR("10.255.1.0/30")!),
            Location(name: "fra1", region: "WEUR", asn: 65010, uplink: CIDR("198.18.2.0/30")!, underlay: CIDR("100.64.2.0/30")!,
                     management: CIDR("10.255.2.0/30")!),
        ])

    /// The tunnel that serves `location` (the customer's side is the odd address).
    package func tunnelNetwork(_ index: Int) -> CIDR { CIDR("10.100.0.\(2 * index)/31")! }

    package init(upstreamASN: UInt32, internet: CIDR, customerPrefix: CIDR, origin: IPAddress, customerInside: CIDR, locations: [Location]) {
        self.upstreamASN = upstreamASN
        self.internet = internet
        self.customerPrefix = customerPrefix
        self.origin = origin
        self.customerInside = customerInside
        self.locations = locations
    }

    /// Reads a topology file: every field of the default may be given; unknown fields, bad
    /// values, duplicate names and overlapping networks are refused with the field at fault.
    package init(json: JSONValue) throws(ValidationError) {
        var reader = try ObjectReader(json)
        let fallback = LabTopology.default
        upstreamASN = try Self.asn(&reader, "upstream_asn") ?? fallback.upstreamASN
        internet = try Self.link(&reader, "internet") ?? fallback.internet
        customerPrefix = try reader.optionalCIDR("customer_prefix") ?? fallback.customerPrefix
        origin = try reader.optionalAddress("origin") ?? fallback.origin
        customerInside = try Self.link(&reader, "customer_inside") ?? fallback.customerInside
        locations = try reader.optionalObjects("locations", maxCount: 8) { (entry: inout ObjectReader) throws(ValidationError) -> Location in
            let name = try entry.string("name", maxLength: 8)
            guard LocationSpec.isValidID(name) else {
                throw ValidationError(.invalidValue, "'\(name)' is not a location name: 1-8 lowercase letters and digits, starting with a letter", field: entry.fieldPath("name"))
            }
            let region = try entry.optionalString("region", maxLength: 8) ?? "WEUR"
            let asn = try Self.asn(&entry, "asn") ?? 65010
            guard let uplink = try Self.link(&entry, "uplink") else { throw entry.missing("uplink") }
            guard let underlay = try Self.link(&entry, "underlay") else { throw entry.missing("underlay") }
            guard let management = try Self.link(&entry, "management") else { throw entry.missing("management") }
            return Location(name: name, region: region, asn: asn, uplink: uplink, underlay: underlay, management: management)
        } ?? fallback.locations
        try reader.finish()
        try validate()
    }

    private static func asn(_ reader: inout ObjectReader, _ field: String) throws(ValidationError) -> UInt32? {
        try reader.optionalInt(field, in: 1...4_294_967_294).map(UInt32.init)
    }

    private static func link(_ reader: inout ObjectReader, _ field: String) throws(ValidationError) -> CIDR? {
        guard let cidr = try reader.optionalCIDR(field) else { return nil }
        guard cidr.isIPv4, cidr.length == 30 else {
            throw ValidationError(.invalidCIDR, "\(cidr) is not an IPv4 /30: a lab link has two ends", field: reader.fieldPath(field))
        }
        return cidr
    }

    private func validate() throws(ValidationError) {
        guard !locations.isEmpty else { throw ValidationError(.invalidValue, "a lab needs at least one location", field: "locations") }
        var seen: Set<String> = []
        for (index, location) in locations.enumerated() where !seen.insert(location.name).inserted {
            throw ValidationError(.invalidValue, "location '\(location.name)' is named twice", field: "locations[\(index)].name")
        }
        guard customerPrefix.isIPv4, customerPrefix.length <= 24 else {
            throw ValidationError(.invalidCIDR, "the customer prefix must be an IPv4 /24 or shorter, as routers accept", field: "customer_prefix")
        }
        guard customerPrefix.contains(origin) else {
            throw ValidationError(.invalidAddress, "\(origin) is not inside the customer prefix \(customerPrefix)", field: "origin")
        }
        var networks: [(String, CIDR)] = [("internet", internet), ("customer_prefix", customerPrefix), ("customer_inside", customerInside)]
        for (index, location) in locations.enumerated() {
            networks += [("locations[\(index)].uplink", location.uplink), ("locations[\(index)].underlay", location.underlay),
                         ("locations[\(index)].management", location.management)]
        }
        networks += locations.indices.map { ("tunnel \($0 + 1) (10.100.0.0/24)", tunnelNetwork($0)) }
        for (first, (field, network)) in networks.enumerated() {
            if let clash = networks[..<first].first(where: { $0.1.overlaps(network) }) {
                throw ValidationError(.invalidCIDR, "\(network) overlaps \(clash.1) of \(clash.0)", field: field)
            }
        }
    }

    /// The topology as a file `--topology` reads.
    package var json: String {
        let places = locations.map { location in
            """
                {"name": "\(location.name)", "region": "\(location.region)", "asn": \(location.asn), "uplink": "\(location.uplink)", \
            "underlay": "\(location.underlay)", "management": "\(location.management)"}
            """
        }
        return """
        {
          "upstream_asn": \(upstreamASN),
          "internet": "\(internet)",
          "customer_prefix": "\(customerPrefix)",
          "origin": "\(origin)",
          "customer_inside": "\(customerInside)",
          "locations": [
        \(places.joined(separator: ",\n"))
          ]
        }
        """
    }
}

extension CIDR {
    /// The n-th address of the network (1: the first host of a /30).
    package func host(_ n: Int) -> IPAddress {
        switch address {
        case .v4(let value): return .v4(value + UInt32(n))
        case .v6(let value): return .v6(value + UInt128(n))
        }
    }
}
