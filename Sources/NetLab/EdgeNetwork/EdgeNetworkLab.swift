import Foundation
import LinuxNet
import MoatModel

/// The whole edge network of a ``LabTopology`` in one ``Lab``: namespaces, links, addresses
/// and routes, then Moat (a core, one `moat edge` per location, `moat gre-endpoint` on the
/// customer router), BIRD 2 on the upstream router and an HTTP origin. Built by `moat lab up`
/// and by the end-to-end test; everything goes away with the lab.
package final class EdgeNetworkLab: @unchecked Sendable {
    package let lab: Lab
    package let topology: LabTopology
    /// The `moat` executable.
    package let moat: String
    /// Where the core's, the edges' and BIRD's files go.
    package let dataDirectory: String

    package let internet: Namespace
    package let upstream: Namespace
    package let core: Namespace
    package let customer: Namespace
    package let origin: Namespace
    /// By location name.
    package let edges: [String: Namespace]

    /// The operator token, once the core runs.
    package internal(set) var operatorToken = ""
    /// Processes by role (`core`, `edge-ams1`, `bird`, `gre-endpoint`, `origin-http`).
    package internal(set) var processes: [String: ChildProcess] = [:]

    package static let coreURL = "http://127.0.0.1:7480"
    /// The customer router's tunnel devices, by location.
    package static func tunnelName(_ location: String) -> String { "gre-\(location)" }

    /// Every node, by the name `moat lab exec` takes.
    package var nodes: [(name: String, namespace: Namespace)] {
        [("internet", internet), ("upstream", upstream), ("core", core)]
            + topology.locations.map { ("edge-\($0.name)", edges[$0.name]!) }
            + [("customer", customer), ("origin", origin)]
    }

    /// Builds the namespaces and links; nothing runs yet.
    package init(lab: Lab, topology: LabTopology, moat: String, dataDirectory: String) throws {
        self.lab = lab
        self.topology = topology
        self.moat = moat
        self.dataDirectory = dataDirectory
        internet = try lab.addNamespace("internet")
        upstream = try lab.addNamespace("upstream")
        core = try lab.addNamespace("core")
        customer = try lab.addNamespace("customer")
        origin = try lab.addNamespace("origin")
        var edges: [String: Namespace] = [:]
        for location in topology.locations { edges[location.name] = try lab.addNamespace("edge-\(location.name)") }
        self.edges = edges

        let access = try lab.addLink(upstream, interface: "inet0", to: internet, interface: "eth0")
        try lab.addAddress(Self.address(topology.internet, 1), to: access.a)
        try lab.addAddress(Self.address(topology.internet, 2), to: access.b)
        try lab.addDefaultRoute(via: "\(topology.internet.host(1))", in: internet)

        let inside = try lab.addLink(customer, interface: "lan0", to: origin, interface: "eth0")
        try lab.addAddress(Self.address(topology.customerInside, 1), to: inside.a)
        try lab.addAddress(Self.address(topology.customerInside, 2), to: inside.b)
        try lab.exec(in: origin, ["ip", "addr", "add", "\(topology.origin)/32", "dev", "lo"])
        try lab.addDefaultRoute(via: "\(topology.customerInside.host(1))", in: origin)
        try lab.addRoute(to: "\(topology.customerPrefix)", via: "\(topology.customerInside.host(2))", in: customer)

        for location in topology.locations {
            let edge = edges[location.name]!
            let uplink = try lab.addLink(upstream, interface: "up-\(location.name)", to: edge, interface: "uplink")
            try lab.addAddress(Self.address(location.uplink, 1), to: uplink.a)
            try lab.addAddress(Self.address(location.uplink, 2), to: uplink.b)
            let underlay = try lab.addLink(edge, interface: "underlay", to: customer, interface: "via-\(location.name)")
            try lab.addAddress(Self.address(location.underlay, 1), to: underlay.a)
            try lab.addAddress(Self.address(location.underlay, 2), to: underlay.b)
            let management = try lab.addLink(core, interface: "mgmt-\(location.name)", to: edge, interface: "mgmt")
            try lab.addAddress(Self.address(location.management, 1), to: management.a)
            try lab.addAddress(Self.address(location.management, 2), to: management.b)
            // What the edge decapsulates for the internet goes back up; nothing else leaves.
            try lab.addRoute(to: "\(topology.internet)", via: "\(location.uplink.host(1))", in: edge)
        }
        for namespace in [upstream, customer] + Array(edges.values) {
            try lab.setSysctl("net.ipv4.ip_forward", to: "1", in: namespace)
            try lab.setSysctl("net.ipv4.conf.all.rp_filter", to: "0", in: namespace)
            try lab.setSysctl("net.ipv4.conf.default.rp_filter", to: "0", in: namespace)
        }
    }

    static func address(_ network: CIDR, _ n: Int) -> String { "\(network.host(n))/\(network.length)" }

    /// The programs `moat lab up` needs and their Debian packages, as (program, package).
    package static let packages = [("ip", "iproute2"), ("bird", "bird2"), ("birdc", "bird2"), ("nft", "nftables"), ("sysctl", "procps"),
                                   ("curl", "curl"), ("/usr/bin/python3", "python3")]

    /// ``packages`` whose program is missing.
    package static func missingPackages() -> [(program: String, package: String)] {
        packages.filter { program, _ in !Command.isInstalled(program) }
    }
}
