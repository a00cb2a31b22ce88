/// Something a ``Lab`` made, in the order it made it; `moat lab` prints these.
package enum LabResource: Sendable, CustomStringConvertible {
    case namespace(Namespace)
    case link(VethLink)
    case address(String, Interface)
    case route(String, via: String?, device: String?, Namespace)
    case sysctl(key: String, value: String, Namespace)
    case process(ChildProcessInfo)

    package var description: String {
        switch self {
        case .namespace(let ns):
            return "netns \(ns.name)"
        case .link(let link):
            return "veth \(link)"
        case .address(let address, let interface):
            return "address \(address) on \(interface)"
        case .route(let destination, let gateway, let device, let ns):
            let via = gateway.map { " via \($0)" } ?? ""
            let dev = device.map { " dev \($0)" } ?? ""
            return "route \(destination)\(via)\(dev) in \(ns.shortName)"
        case .sysctl(let key, let value, let ns):
            return "sysctl \(key)=\(value) in \(ns.shortName)"
        case .process(let info):
            return "process \(info)"
        }
    }
}

/// What the lab remembers of a process it started.
package struct ChildProcessInfo: Sendable, CustomStringConvertible {
    package let pid: Int32
    package let arguments: [String]
    package let namespace: Namespace
    package let logPath: String

    package var description: String {
        "pid \(pid) `\(arguments.joined(separator: " "))` in \(namespace.shortName), log \(logPath)"
    }
}
