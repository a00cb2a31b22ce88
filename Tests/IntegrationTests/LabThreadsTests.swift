import Foundation
import NetLab
import Testing

/// Code that blocks gets threads of its own: jobs that wait for each other all run at
/// once, and a lab's body and a suite marked `.onLabThreads` run there, not on the pool.
@Suite struct LabThreadsTests {
    /// The name of the thread running the caller.
    static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Blocks the calling thread until `count` callers are in, or 10 s passed; whether all came.
    final class Rendezvous: @unchecked Sendable {
        let count: Int
        let arrived = NSCondition()
        var present = 0
        init(count: Int) { self.count = count }

        func meet() -> Bool {
            arrived.lock()
            defer { arrived.unlock() }
            present += 1
            arrived.broadcast()
            let deadline = Date(timeIntervalSinceNow: 10)
            while present < count { if !arrived.wait(until: deadline) { return false } }
            return true
        }
    }

    @Test func blockedJobsNeverWaitForEachOther() async {
        // Eight tasks, more than the cores, each blocks its thread until all eight are in.
        let rendezvous = Rendezvous(count: 8)
        let all = await withTaskExecutorPreference(LabThreads.shared) {
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<rendezvous.count { group.addTask { rendezvous.meet() } }
                return await group.allSatisfy { $0 }
            }
        }
        #expect(all, "only \(rendezvous.present) of \(rendezvous.count) blocked jobs ran at once")
    }

    @Test func aLabsBodyRunsOnLabThreads() async throws {
        let name = try await withLab(base: "moatthreads") { _ in Self.threadName() }
        #expect(name.hasPrefix("lab-"), "\(name)")
    }
}

@Suite(.onLabThreads) struct OnLabThreadsTests {
    @Test func aMarkedSuitesTestsRunOnLabThreads() {
        #expect(LabThreadsTests.threadName().hasPrefix("lab-"), "\(LabThreadsTests.threadName())")
    }
}
