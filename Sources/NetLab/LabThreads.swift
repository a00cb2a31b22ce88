import Foundation

/// Threads of their own for the code of a lab: it blocks (it waits for `ip`, `nft` and the
/// programs it starts, and polls their state), and blocking a thread of Swift's shared
/// cooperative pool, which has one thread per core, stalls every other task in the process,
/// among them the other tests running beside it. Run such code under
/// `withTaskExecutorPreference(LabThreads.shared)`, as ``withLab(base:keepLogs:_:)`` does.
///
/// Each queued job is promised a thread that is not running another job: when none is
/// free, one more is started. Threads idle for 10 s end.
@available(macOS 15.0, *)
package final class LabThreads: TaskExecutor, @unchecked Sendable {
    package static let shared = LabThreads()

    private let condition = NSCondition()
    /// Guarded by `condition`.
    private var jobs: [UnownedJob] = []
    /// Threads not running a job (waiting, or about to take one); guarded by `condition`.
    private var free = 0
    private var started = 0

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        if jobs.count > free {
            free += 1
            started += 1
            let name = "lab-\(started)"
            Thread { [self] in
                Thread.current.name = name
                work()
            }.start()
        } else {
            condition.signal()
        }
        condition.unlock()
    }

    private func work() {
        condition.lock()
        while true {
            while jobs.isEmpty {
                if !condition.wait(until: Date(timeIntervalSinceNow: 10)) && jobs.isEmpty {
                    free -= 1
                    condition.unlock()
                    return
                }
            }
            let job = jobs.removeFirst()
            free -= 1
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
            condition.lock()
            free += 1
        }
    }
}
