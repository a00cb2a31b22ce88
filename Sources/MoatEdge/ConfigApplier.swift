import MoatModel

/// One part of the data plane (firewall, tunnels, BGP, proxy) that programs a config.
///
/// The agent applies a config all-or-nothing: `prepare` every part first (compile, `nft -c`),
/// then `commit` each; when any part fails, the parts already committed are given back the
/// previous config, which stays in force.
package protocol ConfigApplier: Sendable {
    var name: String { get }
    /// Checks that the config can be applied, without changing anything.
    func prepare(_ config: EdgeConfig) async throws
    /// Programs the config.
    func commit(_ config: EdgeConfig) async throws
}

/// A data-plane part that counts packets per firewall rule.
package protocol RuleCounterSource: Sendable {
    func ruleHits() async throws -> [String: UInt64]
}

/// Why a config did not apply.
package struct ApplyError: Error, CustomStringConvertible {
    package var part: String
    package var reason: String
    package var description: String { "\(part): \(reason)" }

    package init(part: String, reason: String) {
        self.part = part
        self.reason = reason
    }
}

/// Runs the appliers in order and rolls back on failure.
package struct ApplyPipeline: Sendable {
    package let appliers: [any ConfigApplier]

    package init(appliers: [any ConfigApplier]) {
        self.appliers = appliers
    }

    package func apply(_ config: EdgeConfig, previous: EdgeConfig?) async throws {
        for applier in appliers {
            do { try await applier.prepare(config) } catch { throw ApplyError(part: applier.name, reason: "\(error)") }
        }
        var committed: [any ConfigApplier] = []
        for applier in appliers {
            do {
                try await applier.commit(config)
                committed.append(applier)
            } catch {
                if let previous {
                    for done in committed.reversed() { try? await done.commit(previous) }
                }
                throw ApplyError(part: applier.name, reason: "\(error)")
            }
        }
    }
}
