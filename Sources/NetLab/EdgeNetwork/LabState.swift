import Foundation
import LinuxNet

/// What a running `moat lab` is, in STATE_DIR/lab.json: written by the process that holds the
/// lab (the supervisor), read by `moat lab status`, `exec` and `down`.
package struct LabState: Codable, Sendable {
    package struct Node: Codable, Sendable {
        package var name: String
        package var namespace: String

        package init(name: String, namespace: String) {
            self.name = name
            self.namespace = namespace
        }
    }

    package struct Process: Codable, Sendable {
        package var role: String
        package var node: String
        package var pid: Int32
        package var log: String

        package init(role: String, node: String, pid: Int32, log: String) {
            self.role = role
            self.node = node
            self.pid = pid
            self.log = log
        }
    }

    /// The start of every namespace name of the lab.
    package var prefix: String
    package var supervisorPID: Int32
    package var startedAt: Date
    /// Everything runs; false while building.
    package var ready: Bool
    /// Why building failed (the supervisor then removes what it made and exits).
    package var error: String?
    package var dataDirectory: String
    package var logDirectory: String
    package var nodes: [Node]
    package var processes: [Process]
    package var coreURL: String
    package var operatorToken: String

    package init(prefix: String, supervisorPID: Int32, startedAt: Date, dataDirectory: String, logDirectory: String, coreURL: String) {
        self.prefix = prefix
        self.supervisorPID = supervisorPID
        self.startedAt = startedAt
        self.ready = false
        self.dataDirectory = dataDirectory
        self.logDirectory = logDirectory
        self.nodes = []
        self.processes = []
        self.coreURL = coreURL
        self.operatorToken = ""
    }

    package static func path(_ directory: String) -> String { directory + "/lab.json" }

    package static func load(from directory: String) -> LabState? {
        guard let data = FileManager.default.contents(atPath: path(directory)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(LabState.self, from: data)
    }

    package func save(in directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: Self.path(directory), mode: 0o600)
    }

    package static func remove(from directory: String) {
        try? FileManager.default.removeItem(atPath: path(directory))
    }

    /// The supervisor still runs.
    package var isAlive: Bool { ProcessTable.isAlive(pid: supervisorPID) }

    package func namespace(of node: String) -> String? { nodes.first { $0.name == node }?.namespace }
}
