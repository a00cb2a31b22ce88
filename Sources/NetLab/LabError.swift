/// A lab request refused before any command ran. Failed commands throw LinuxNet's
/// `CommandError` instead, which carries the command line and its stderr.
package struct LabError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case needsRoot, invalidName, unknownNamespace }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Namespaces can only be made by root.
        package static let needsRoot = Code(.needsRoot)
        /// A namespace or interface name that is empty, too long or has odd characters.
        package static let invalidName = Code(.invalidName)
        /// A namespace this lab did not make, or already tore down.
        package static let unknownNamespace = Code(.unknownNamespace)

        package var description: String { base.rawValue }
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { "\(code): \(message)" }
}
