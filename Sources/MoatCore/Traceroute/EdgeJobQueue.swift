import Foundation
import MoatModel

/// Jobs waiting for each edge, and the edges' second long-poll, `GET /v1/edge/jobs`, that
/// takes them. An edge that holds that poll open, or held it in the last few seconds (it
/// re-polls at once after an answer), can take a job.
package actor EdgeJobQueue {
    private struct Waiter {
        var edgeID: String
        var continuation: CheckedContinuation<[EdgeTracerouteJob], Never>
    }

    /// How long after its last jobs poll an edge still counts as able to take a job.
    static let availableFor: TimeInterval = 10

    private var pending: [String: [EdgeTracerouteJob]] = [:]
    private var waiters: [UInt64: Waiter] = [:]
    private var nextWaiterID: UInt64 = 0
    private var lastPoll: [String: Date] = [:]
    private var closed = false

    package init() {}

    /// Hands `job` to the edge's open poll, or keeps it for the next one (dropping that edge's
    /// jobs whose deadline passed, so an edge that went away holds no more than a deadline's worth).
    package func enqueue(_ job: EdgeTracerouteJob, for edgeID: String, now: Date) {
        if let waiting = waiters.first(where: { $0.value.edgeID == edgeID }) {
            waiters[waiting.key] = nil
            waiting.value.continuation.resume(returning: [job])
        } else {
            pending[edgeID] = (pending[edgeID] ?? []).filter { $0.deadline > now } + [job]
        }
    }

    /// The edge's jobs whose deadline has not passed, waiting up to `timeout` for one.
    package func next(edgeID: String, timeout: Duration, now: Date) async -> [EdgeTracerouteJob] {
        lastPoll[edgeID] = now
        let queued = (pending.removeValue(forKey: edgeID) ?? []).filter { $0.deadline > now }
        if !queued.isEmpty || closed { return queued }
        nextWaiterID += 1
        let id = nextWaiterID
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            await self?.expire(id)
        }
        let jobs = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiters[id] = Waiter(edgeID: edgeID, continuation: continuation)
            }
        } onCancel: {
            Task { await self.expire(id) }
        }
        timer.cancel()
        return jobs
    }

    /// Records that the edge's poll just ended: it re-polls at once, so it stays available.
    package func touch(_ edgeID: String, now: Date) {
        lastPoll[edgeID] = now
    }

    /// Whether the edge polls for jobs now or did a moment ago.
    package func isAvailable(_ edgeID: String, now: Date) -> Bool {
        if waiters.values.contains(where: { $0.edgeID == edgeID }) { return true }
        guard let last = lastPoll[edgeID] else { return false }
        return now.timeIntervalSince(last) <= Self.availableFor
    }

    /// Ends every poll and refuses new waits: core is shutting down.
    package func close() {
        closed = true
        for (_, waiter) in waiters { waiter.continuation.resume(returning: []) }
        waiters.removeAll()
    }

    private func expire(_ id: UInt64) {
        waiters.removeValue(forKey: id)?.continuation.resume(returning: [])
    }
}
