import LinuxNet

extension Lab {
    /// Creates a veth pair with one end in each namespace and brings both ends up.
    @discardableResult
    package func addLink(
        _ a: Namespace, interface aName: String,
        to b: Namespace, interface bName: String
    ) throws -> VethLink {
        try requireKnown(a)
        try requireKnown(b)
        try LabNames.validate(interface: aName)
        try LabNames.validate(interface: bName)
        // Created straight inside the namespaces: nothing ever appears in the host's.
        try ip(["link", "add", aName, "netns", a.name, "type", "veth",
                "peer", "name", bName, "netns", b.name])
        let link = VethLink(a: Interface(namespace: a, name: aName),
                            b: Interface(namespace: b, name: bName))
        record(.link(link))
        try ip(["-n", a.name, "link", "set", aName, "up"])
        try ip(["-n", b.name, "link", "set", bName, "up"])
        return link
    }

    /// Adds an address in CIDR notation (`198.18.0.1/30`, `2001:2::1/64`) to an interface.
    /// IPv6 addresses skip duplicate address detection, so they are usable at once.
    package func addAddress(_ cidr: String, to interface: Interface) throws {
        try requireKnown(interface.namespace)
        var arguments = ["-n", interface.namespace.name]
        arguments += Lab.isIPv6(cidr) ? ["-6", "addr", "add", cidr, "dev", interface.name, "nodad"]
                                      : ["addr", "add", cidr, "dev", interface.name]
        try ip(arguments)
        record(.address(cidr, interface))
    }

    /// Adds a route in `namespace`. `destination` is a prefix or `default`; the family is
    /// IPv6 when the destination or the gateway is.
    package func addRoute(
        to destination: String, via gateway: String? = nil, device: String? = nil,
        in namespace: Namespace
    ) throws {
        try requireKnown(namespace)
        let ipv6 = Lab.isIPv6(destination) || gateway.map(Lab.isIPv6) == true
        var arguments = ["-n", namespace.name] + (ipv6 ? ["-6"] : []) + ["route", "add", destination]
        if let gateway { arguments += ["via", gateway] }
        if let device { arguments += ["dev", device] }
        try ip(arguments)
        record(.route(destination, via: gateway, device: device, namespace))
    }

    /// Adds a default route through `gateway` in `namespace`.
    package func addDefaultRoute(via gateway: String, in namespace: Namespace) throws {
        try addRoute(to: "default", via: gateway, in: namespace)
    }

    /// Sets a sysctl inside `namespace` only, e.g. `net.ipv4.ip_forward` to `1`.
    package func setSysctl(_ key: String, to value: String, in namespace: Namespace) throws {
        try exec(in: namespace, ["sysctl", "-q", "-w", "\(key)=\(value)"], timeout: .seconds(10))
        record(.sysctl(key: key, value: value, namespace))
    }

    static func isIPv6(_ address: String) -> Bool {
        address.contains(":")
    }
}
