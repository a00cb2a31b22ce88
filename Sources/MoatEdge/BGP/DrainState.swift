import BGP
import Foundation

/// The edge's drain state, kept in DATA/drain.json so that a drained edge stays out of
/// service across restarts until it is undrained.
struct DrainState: Codable, Sendable {
    var state: String
    /// When a signalling drain turns into a withdrawal.
    var withdrawAt: Date?

    static func load(_ directory: URL) -> DrainState? {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("drain.json")) else { return nil }
        return try? JSONDecoder().decode(DrainState.self, from: data)
    }

    func save(_ directory: URL) throws {
        try JSONEncoder().encode(self).write(to: directory.appendingPathComponent("drain.json"), options: .atomic)
    }

    static func remove(_ directory: URL) {
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("drain.json"))
    }

    /// The drain as the policy sees it at `now`.
    func phase(at now: Date) -> AnnouncementPolicy.Drain {
        if state == AnnouncementPolicy.Drain.withdrawn.rawValue { return .withdrawn }
        if let withdrawAt, now >= withdrawAt { return .withdrawn }
        return .signalling
    }
}
