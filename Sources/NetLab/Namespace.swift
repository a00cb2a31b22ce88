/// A network namespace made by a ``Lab``.
package struct Namespace: Hashable, Sendable, CustomStringConvertible {
    /// The name `ip netns` knows it by: the lab's prefix, `-`, the short name.
    package let name: String
    /// The name the lab's user gave it (`client`, `edge1`, `upstream`).
    package let shortName: String

    package var description: String { name }
}

/// One end of a veth pair: an interface inside a namespace.
package struct Interface: Hashable, Sendable, CustomStringConvertible {
    package let namespace: Namespace
    package let name: String

    package var description: String { "\(namespace.shortName)/\(name)" }
}

/// A veth pair linking two namespaces.
package struct VethLink: Hashable, Sendable, CustomStringConvertible {
    package let a: Interface
    package let b: Interface

    package var description: String { "\(a) <-> \(b)" }
}
