import Testing

/// Tests that load the machine with traffic (floods, throughput, timed streams) run one at a
/// time: on a machine with two cores, two floods at once measure each other, not Moat. The
/// rest of the suite still runs beside them.
struct HeavyTraffic: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        await Turn.shared.take()
        do {
            try await function()
        } catch {
            await Turn.shared.pass()
            throw error
        }
        await Turn.shared.pass()
    }

    /// One test at a time, in the order they asked.
    actor Turn {
        static let shared = Turn()
        private var taken = false
        private var waiting: [CheckedContinuation<Void, Never>] = []

        func take() async {
            guard taken else {
                taken = true
                return
            }
            await withCheckedContinuation { waiting.append($0) }
        }

        func pass() {
            if waiting.isEmpty { taken = false } else { waiting.removeFirst().resume() }
        }
    }
}

extension Trait where Self == HeavyTraffic {
    static var heavyTraffic: Self { HeavyTraffic() }
}
