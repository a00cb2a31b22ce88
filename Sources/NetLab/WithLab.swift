/// Runs `body` with a fresh ``Lab`` and tears the lab down afterwards, also when `body`
/// throws. Leftovers of crashed earlier runs with the same base are removed first. The lab's
/// code runs on ``LabThreads``: it blocks, and must not hold up the shared pool.
package func withLab<T>(
    base: String = Lab.projectPrefix,
    keepLogs: Bool = false,
    _ body: (Lab) async throws -> T
) async throws -> T {
    try await withTaskExecutorPreference(LabThreads.shared) {
        try await inLab(base: base, keepLogs: keepLogs, body)
    }
}

private func inLab<T>(base: String, keepLogs: Bool, _ body: (Lab) async throws -> T) async throws -> T {
    Lab.removeStale(prefix: base)
    let lab = Lab(base: base, keepLogs: keepLogs)
    do {
        let result = try await body(lab)
        lab.teardown()
        return result
    } catch {
        lab.teardown()
        throw error
    }
}
