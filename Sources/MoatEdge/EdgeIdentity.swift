import Foundation
import LinuxNet
import MoatModel

/// The edge's credential, kept in `DIR/credential` (mode 0600) after enrolment.
package struct EdgeIdentity: Codable, Equatable, Sendable {
    package var edgeID: String
    package var location: String
    package var credential: String

    enum CodingKeys: String, CodingKey {
        case location, credential
        case edgeID = "edge_id"
    }

    package init(edgeID: String, location: String, credential: String) {
        self.edgeID = edgeID
        self.location = location
        self.credential = credential
    }

    static func path(in directory: URL) -> String { directory.appendingPathComponent("credential").path }

    package static func load(from directory: URL) throws -> EdgeIdentity? {
        let path = path(in: directory)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try JSONDecoder().decode(EdgeIdentity.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    package func save(in directory: URL) throws {
        try AtomicFile.write(try JSONEncoder().encode(self), to: EdgeIdentity.path(in: directory), mode: 0o600)
    }
}

/// The last config that applied, in `DIR/config.json`: the edge starts from it and keeps
/// enforcing it while core is unreachable.
package struct LastKnownGood: Sendable {
    package let path: String

    package init(directory: URL) {
        path = directory.appendingPathComponent("config.json").path
    }

    package func load() throws -> EdgeConfig? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try MoatJSON.decoder().decode(EdgeConfig.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }

    package func save(_ config: EdgeConfig) throws {
        try AtomicFile.write(try MoatJSON.encoder().encode(config), to: path, mode: 0o600)
    }

    /// Saves on a thread of its own: two fsyncs must not hold one of the few threads that run
    /// every task of the process (sync, proxy, BGP, probes).
    package func saveOffPool(_ config: EdgeConfig) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            DispatchQueue.global(qos: .utility).async {
                do {
                    try save(config)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }
}
