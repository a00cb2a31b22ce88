import Foundation
import Synchronization

/// When the edge last heard from core: the agent records each answered sync, the BGP part
/// reads it to decide whether the config is still fresh enough to announce.
package final class CoreContact: Sendable {
    private let last = Mutex<Date?>(nil)

    package init() {}

    package func touch(_ date: Date = Date()) { last.withLock { $0 = date } }

    package var lastContact: Date? { last.withLock { $0 } }
}
