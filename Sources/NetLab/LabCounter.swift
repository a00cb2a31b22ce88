import Foundation

/// Numbers the labs of this process, so their prefixes differ.
final class LabCounter: @unchecked Sendable {
    static let shared = LabCounter()

    private let lock = NSLock()
    private var value = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += 1
        return value
    }
}
