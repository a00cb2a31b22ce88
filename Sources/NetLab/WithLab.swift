/// Runs `body` with a fresh ``Lab`` and tears the lab down afterwards, also when `body`
/// throws. Leftovers of crashed earlier runs with the same base are removed first.
package func withLab<T>(
    base: String = Lab.projectPrefix,
    keepLogs: Bool = false,
    _ body: (Lab) async throws -> T
) async throws -> T {
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
