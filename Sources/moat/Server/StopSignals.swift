import Dispatch
import Foundation

/// SIGTERM and SIGINT as a request to stop, for the commands that hold something until then
/// (`moat proxy`, `moat lab up --foreground`). The default handlers are replaced while it lives.
/// Unchecked: the sources are set once and only cancelled, which Dispatch allows from any thread.
final class StopSignals: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let sources: [any DispatchSourceSignal]

    init() {
        let semaphore = semaphore
        sources = [SIGTERM, SIGINT].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number)
            source.setEventHandler { semaphore.signal() }
            source.resume()
            return source
        }
    }

    deinit { sources.forEach { $0.cancel() } }

    /// Blocks the calling thread until a signal comes.
    func wait() { semaphore.wait() }

    /// Suspends until a signal comes, without holding a thread of the task pool.
    func stopped() async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                self.wait()
                continuation.resume()
            }
        }
    }
}
