/// The rules for names a lab hands to the kernel.
enum LabNames {
    /// IFNAMSIZ is 16 with the terminating NUL.
    static let maxInterfaceLength = 15
    /// Short, so the whole namespace name stays readable in `ip netns list`.
    static let maxNamespaceLength = 24

    static func validate(namespace name: String) throws {
        try validate(name, kind: "namespace", maxLength: maxNamespaceLength)
    }

    static func validate(interface name: String) throws {
        try validate(name, kind: "interface", maxLength: maxInterfaceLength)
    }

    private static func validate(_ name: String, kind: String, maxLength: Int) throws {
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
                || (scalar >= "0" && scalar <= "9") || scalar == "-" || scalar == "_" || scalar == "."
        }
        guard !name.isEmpty, name.utf8.count <= maxLength, allowed, name != ".", name != ".." else {
            throw LabError(.invalidName,
                           "\(kind) name '\(name)' must be 1 to \(maxLength) characters of [A-Za-z0-9._-]")
        }
    }
}
