import NetLab
import Testing

/// Runs each test of a suite on ``LabThreads``: for tests that block (wait for programs,
/// poll with sleeps) outside ``withLab(base:keepLogs:_:)``, so they never stall the shared
/// pool that the suites running beside them need.
struct OnLabThreads: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        try await withTaskExecutorPreference(LabThreads.shared) { try await function() }
    }
}

extension Trait where Self == OnLabThreads {
    static var onLabThreads: Self { OnLabThreads() }
}
