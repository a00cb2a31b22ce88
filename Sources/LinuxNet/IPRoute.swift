/// The few `ip` and sysctl operations the edge's data path needs on its own machine.
package enum IPRoute {
    package static func setLink(_ name: String, up: Bool = true, mtu: Int? = nil) throws {
        var arguments = ["link", "set", "dev", name, up ? "up" : "down"]
        if let mtu { arguments += ["mtu", String(mtu)] }
        try Command("ip", arguments, timeout: .seconds(10)).check()
    }

    /// Adds an address unless the interface has it already.
    package static func ensureAddress(_ cidr: String, on name: String) throws {
        let result = try Command("ip", ["address", "add", cidr, "dev", name], timeout: .seconds(10)).run()
        if !result.succeeded && !result.stderr.contains("File exists") { throw CommandError(result: result, code: .failed) }
    }

    /// `ip route replace PREFIX dev NAME`.
    package static func replaceRoute(_ prefix: String, device name: String) throws {
        let family = prefix.contains(":") ? "-6" : "-4"
        try Command("ip", [family, "route", "replace", prefix, "dev", name], timeout: .seconds(10)).check()
    }

    package static func deleteRoute(_ prefix: String, device name: String) throws {
        let family = prefix.contains(":") ? "-6" : "-4"
        let result = try Command("ip", [family, "route", "delete", prefix, "dev", name], timeout: .seconds(10)).run()
        if !result.succeeded && !result.stderr.contains("No such process") { throw CommandError(result: result, code: .failed) }
    }

    /// The destinations routed through `name` (as `ip route` prints them), IPv4 and IPv6.
    package static func routes(device name: String) throws -> [String] {
        var prefixes: [String] = []
        for family in ["-4", "-6"] {
            let result = try Command("ip", [family, "route", "show", "dev", name], timeout: .seconds(10)).check()
            for line in result.stdout.split(separator: "\n") {
                guard let first = line.split(separator: " ").first, first != "fe80::/64", first != "multicast" else { continue }
                prefixes.append(String(first))
            }
        }
        return prefixes
    }

    /// Writes `/proc/sys/...` for a dotted key (`net.ipv4.conf.moat-gre.rp_filter`).
    package static func setSysctl(_ key: String, _ value: String) throws {
        try Command("sysctl", ["-q", "-w", "\(key)=\(value)"], timeout: .seconds(10)).check()
    }
}
