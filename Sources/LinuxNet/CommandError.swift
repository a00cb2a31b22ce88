import Foundation

/// A ``Command`` that could not start, failed or timed out.
package struct CommandError: Error, Sendable, CustomStringConvertible {
    /// Why the command failed. A struct rather than an enum so new codes do not break callers.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String { case notFound, launchFailed, failed, timedOut }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The program is not installed.
        package static let notFound = Code(.notFound)
        /// The program exists but could not be started.
        package static let launchFailed = Code(.launchFailed)
        /// It exited with a non-zero status or was killed by a signal.
        package static let failed = Code(.failed)
        /// It ran past its timeout and was killed.
        package static let timedOut = Code(.timedOut)

        package var description: String { base.rawValue }
    }

    package var code: Code
    package var commandLine: String
    /// The exit status (or signal number), nil when the program never ran.
    package var exitStatus: Int32?
    package var stdout: String
    package var stderr: String
    /// Why it could not start, for ``Code/notFound`` and ``Code/launchFailed``.
    package var message: String

    package init(code: Code, commandLine: String, message: String) {
        self.code = code
        self.commandLine = commandLine
        self.exitStatus = nil
        self.stdout = ""
        self.stderr = ""
        self.message = message
    }

    package init(result: CommandResult, code: Code) {
        self.code = code
        self.commandLine = result.commandLine
        self.exitStatus = result.exitStatus
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.message = result.description
    }

    package var description: String {
        let detail = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        return detail.isEmpty ? message : "\(message): \(detail)"
    }
}
