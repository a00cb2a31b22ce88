import DDoS
import Foundation
import MoatModel
import Testing

@Suite struct AttackTrackerTests {
    static let start = Date(timeIntervalSince1970: 1_800_000_000)
    static let id = "atk_00000000000000a1"
    static let protected = ProtectedTargets.Target(accountID: "acme", prefix: CIDR("203.0.113.0/24")!,
                                                   threshold: .init(packetsPerSecond: 2_000, bitsPerSecond: nil), automaticMitigation: true)
    static let fingerprint = AttackFingerprint(target: Samples.victim, protocolNumber: 17, sourcePort: 123)

    func detected(_ tracker: inout AttackTracker, automatic: Bool = true) -> [AttackTracker.Action] {
        var protected = Self.protected
        protected.automaticMitigation = automatic
        return tracker.detected(id: Self.id, target: Samples.victim, in: protected, rates: .init(packetsPerSecond: 50_000, bitsPerSecond: 1e8),
                                fingerprint: Self.fingerprint, at: Self.start)
    }

    @Test func lifeOfAMitigatedAttack() throws {
        var options = AttackTracker.Options()
        options.cooldown = 10
        options.holdTimeout = 30
        var tracker = AttackTracker(options: options)
        let actions = detected(&tracker)
        #expect(actions.first == .install(Self.id, Self.fingerprint, timeout: 30))
        guard case .report(let attack)? = actions.last else { Issue.record("no report"); return }
        #expect(attack.status == .active && attack.mitigation == .active && attack.mitigatedAt == Self.start)
        #expect(attack.peakPacketsPerSecond == 50_000 && attack.accountID == "acme")

        tracker.observed(Samples.victim, rates: .init(packetsPerSecond: 80_000, bitsPerSecond: 2e8), at: Self.start + 1)
        tracker.dropped(Self.id, packets: 12_345)
        // Refreshed every third of the hold timeout, reported every 5 s.
        let later = tracker.tick(at: Self.start + 10)
        #expect(later.contains(.refresh(Self.id, Samples.victim, timeout: 30)))
        let report = later.compactMap { if case .report(let attack) = $0 { attack } else { nil } }.first
        #expect(report?.peakPacketsPerSecond == 80_000 && report?.packetsDropped == 12_345)

        // The end keeps the rule for the cool-down, then removes it.
        let end = tracker.ended(Samples.victim, at: Self.start + 20)
        #expect(end.first == .refresh(Self.id, Samples.victim, timeout: 10))
        #expect(tracker.tick(at: Self.start + 25).isEmpty)
        let expiry = tracker.tick(at: Self.start + 30)
        #expect(expiry.first == .remove(Self.id))
        guard case .report(let final)? = expiry.last else { Issue.record("no final report"); return }
        #expect(final.status == .ended && final.mitigation == .expired && final.endedAt == Self.start + 20)
        #expect(tracker.active.isEmpty)
    }

    @Test func detectOnlyInstallsNothing() {
        var tracker = AttackTracker()
        let actions = detected(&tracker, automatic: false)
        #expect(actions.count == 1)
        guard case .report(let attack)? = actions.first else { return }
        #expect(attack.mitigation == .none && attack.mitigatedAt == nil)
        _ = tracker.ended(Samples.victim, at: Self.start + 5)
        #expect(tracker.tick(at: Self.start + 5).allSatisfy { if case .report = $0 { true } else { false } })
        #expect(tracker.active.isEmpty)
    }

    @Test func pinKeepsTheRuleAndLiftRemovesIt() {
        var options = AttackTracker.Options()
        options.cooldown = 10
        var tracker = AttackTracker(options: options)
        _ = detected(&tracker)
        let pin = MitigationOverride(attackID: Self.id, action: .pin, fingerprint: Self.fingerprint)
        _ = tracker.apply([pin], at: Self.start + 1)
        _ = tracker.ended(Samples.victim, at: Self.start + 2)
        // Pinned: still there long after the cool-down, and refreshed.
        let held = tracker.tick(at: Self.start + 100)
        #expect(held.contains { if case .refresh = $0 { true } else { false } })
        #expect(tracker.active.first?.mitigation == .pinned)
        // Lifted: removed, and a repeated lift does nothing.
        let lift = MitigationOverride(attackID: Self.id, action: .lift, fingerprint: Self.fingerprint)
        let lifted = tracker.apply([lift], at: Self.start + 101)
        #expect(lifted.first == .remove(Self.id))
        #expect(tracker.apply([lift], at: Self.start + 102).isEmpty)
        let gone = tracker.tick(at: Self.start + 102)
        guard case .report(let attack)? = gone.last else { Issue.record("no report of the lift: \(gone)"); return }
        #expect(attack.mitigation == .lifted)
        #expect(tracker.active.isEmpty)
    }

    @Test func pushedMitigationExpiresAtItsTime() {
        var tracker = AttackTracker()
        let other = "atk_00000000000000b2"
        let push = MitigationOverride(attackID: other, action: .push, fingerprint: Self.fingerprint, expiresAt: Self.start + 40)
        #expect(tracker.apply([push], at: Self.start) == [.install(other, Self.fingerprint, timeout: 40)])
        #expect(tracker.apply([push], at: Self.start + 1).isEmpty)
        #expect(tracker.tick(at: Self.start + 39).isEmpty)
        #expect(tracker.tick(at: Self.start + 40) == [.remove(other)])
    }
}
