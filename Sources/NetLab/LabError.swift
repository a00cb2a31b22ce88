/// A lab request refused before any command ran, or a lab process that did not do what the
/// lab waited for. Failed commands throw LinuxNet's `CommandError` instead, which carries
/// the command line and its stderr.
package struct LabError: Error, Sendable, CustomStringConvertible {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case needsRoot, invalidName, unknownNamespace, processFailed, timedOut }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Namespaces can only be made by root.
        package static let needsRoot = Code(.needsRoot)
        /// A namespace or interface name that is empty, too long or has odd characters.
        package static let invalidName = Code(.invalidName)
        /// A namespace this lab did not make, or already tore down.
        package static let unknownNamespace = Code(.unknownNamespace)
        /// A program the lab started or ran exited early, failed, or said something unexpected.
        package static let processFailed = Code(.processFailed)
        /// What the lab waited for did not happen in time.
        package static let timedOut = Code(.timedOut)

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
