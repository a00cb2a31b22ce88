import Foundation
import MoatModel

/// The life of each attack this edge knows: detected → mitigated (a drop rule) → ended →
/// the rule expires after the cool-down. Also applies core's overrides: the operator's pins
/// and lifts, and mitigations pushed from other locations.
///
/// Pure: time comes in; the edge performs the actions (nft, reports to core).
package struct AttackTracker: Sendable {
    package enum Action: Equatable, Sendable {
        /// Install a drop rule whose target stays in its set for `timeout` seconds.
        case install(String, AttackFingerprint, timeout: Int)
        /// Keep the target in the rule's set for another `timeout` seconds.
        case refresh(String, IPAddress, timeout: Int)
        case remove(String)
        /// Tell core the attack's state.
        case report(Attack)
    }

    package struct Options: Sendable {
        /// Seconds a mitigation outlives its attack.
        package var cooldown = 60
        /// A rule's kernel timeout while its attack lasts; refreshed every third of it.
        package var holdTimeout = 30
        /// Seconds between reports of an active attack.
        package var reportInterval = 5.0

        package init() {}
    }

    struct Tracked: Sendable {
        var attack: Attack
        var installed: Bool
        var lastRefresh: Date
        var lastReport: Date
        /// When the rule goes (ended attacks, pushed mitigations).
        var expiresAt: Date?
        var pushed: Bool
    }

    package var options: Options
    private var tracked: [String: Tracked] = [:]
    /// Attack id of each attacked target (one at a time per target).
    private var byTarget: [IPAddress: String] = [:]
    /// Attacks the operator lifted: never mitigated again.
    private var lifted: Set<String> = []

    package init(options: Options = .init()) {
        self.options = options
    }

    package var active: [Attack] { tracked.values.map(\.attack).sorted { $0.startedAt < $1.startedAt } }

    package func attackID(of target: IPAddress) -> String? { byTarget[target] }

    /// The detector saw an attack start (at `detectedAt`, by default now), and it has a fingerprint now.
    package mutating func detected(id: String, target: IPAddress, in protected: ProtectedTargets.Target, rates: Detector.Rates,
                                   fingerprint: AttackFingerprint, detectedAt: Date? = nil, at now: Date) -> [Action] {
        var attack = Attack(id: id, accountID: protected.accountID, target: target, prefix: protected.prefix, startedAt: detectedAt ?? now,
                            fingerprint: fingerprint, peakPacketsPerSecond: Int(rates.packetsPerSecond), peakBitsPerSecond: Int(rates.bitsPerSecond))
        var actions: [Action] = []
        if protected.automaticMitigation {
            attack.mitigation = .active
            attack.mitigatedAt = now
            actions.append(.install(id, fingerprint, timeout: options.holdTimeout))
        }
        tracked[id] = Tracked(attack: attack, installed: protected.automaticMitigation, lastRefresh: now, lastReport: now, pushed: false)
        byTarget[target] = id
        actions.append(.report(attack))
        return actions
    }

    /// The current rates of an attacked target (every tick while it lasts).
    package mutating func observed(_ target: IPAddress, rates: Detector.Rates, at now: Date) {
        guard let id = byTarget[target], var entry = tracked[id] else { return }
        entry.attack.peakPacketsPerSecond = max(entry.attack.peakPacketsPerSecond, Int(rates.packetsPerSecond))
        entry.attack.peakBitsPerSecond = max(entry.attack.peakBitsPerSecond, Int(rates.bitsPerSecond))
        tracked[id] = entry
    }

    /// Packets the attack's rule dropped so far (its kernel counter).
    package mutating func dropped(_ id: String, packets: UInt64) {
        guard var entry = tracked[id] else { return }
        entry.attack.packetsDropped = max(entry.attack.packetsDropped, packets)
        tracked[id] = entry
    }

    /// The detector saw the attack end: the rule stays for the cool-down.
    package mutating func ended(_ target: IPAddress, at now: Date) -> [Action] {
        guard let id = byTarget.removeValue(forKey: target), var entry = tracked[id] else { return [] }
        entry.attack.status = .ended
        entry.attack.endedAt = now
        var actions: [Action] = []
        if entry.attack.mitigation == .pinned {
            entry.expiresAt = nil
        } else if entry.installed {
            entry.expiresAt = now.addingTimeInterval(TimeInterval(options.cooldown))
            entry.lastRefresh = now
            actions.append(.refresh(id, target, timeout: options.cooldown))
        } else {
            entry.expiresAt = now
        }
        entry.lastReport = now
        tracked[id] = entry
        actions.append(.report(entry.attack))
        return actions
    }

    /// Refreshes rules of lasting attacks, expires ended ones, reports active ones now and then.
    package mutating func tick(at now: Date) -> [Action] {
        var actions: [Action] = []
        for id in tracked.keys.sorted() {
            var entry = tracked[id]!
            if let expiry = entry.expiresAt, now >= expiry, entry.attack.mitigation != .pinned {
                if entry.installed { actions.append(.remove(id)) }
                if entry.attack.mitigation == .active { entry.attack.mitigation = .expired }
                tracked[id] = nil
                if !entry.pushed { actions.append(.report(entry.attack)) }
                continue
            }
            let lasting = entry.attack.status == .active || entry.attack.mitigation == .pinned
            if entry.installed && lasting && !entry.pushed
                && now.timeIntervalSince(entry.lastRefresh) >= Double(options.holdTimeout) / 3 {
                entry.lastRefresh = now
                actions.append(.refresh(id, entry.attack.target, timeout: options.holdTimeout))
            }
            if !entry.pushed && entry.attack.status == .active && now.timeIntervalSince(entry.lastReport) >= options.reportInterval {
                entry.lastReport = now
                actions.append(.report(entry.attack))
            }
            tracked[id] = entry
        }
        return actions
    }

    /// Core's overrides, as a whole (an override that disappears is undone).
    package mutating func apply(_ overrides: [MitigationOverride], at now: Date) -> [Action] {
        var actions: [Action] = []
        let pinned = Set(overrides.filter { $0.action == .pin }.map(\.attackID))
        for override in overrides {
            let id = override.attackID
            switch override.action {
            case .lift:
                guard !lifted.contains(id) else { continue }
                lifted.insert(id)
                guard var entry = tracked[id] else { continue }
                if entry.installed { actions.append(.remove(id)) }
                entry.installed = false
                entry.attack.mitigation = .lifted
                entry.expiresAt = entry.attack.status == .ended ? now : nil
                tracked[id] = entry
                actions.append(.report(entry.attack))
            case .pin:
                guard !lifted.contains(id) else { continue }
                if var entry = tracked[id] {
                    guard entry.attack.mitigation != .pinned else { continue }
                    if !entry.installed {
                        actions.append(.install(id, entry.attack.fingerprint ?? override.fingerprint, timeout: options.holdTimeout))
                        entry.installed = true
                    }
                    entry.attack.mitigation = .pinned
                    entry.expiresAt = nil
                    entry.lastRefresh = now
                    tracked[id] = entry
                    if !entry.pushed { actions.append(.report(entry.attack)) }
                } else {
                    // Pinned at another location (or before this edge restarted): hold it here too.
                    tracked[id] = pushedEntry(override, mitigation: .pinned, expiresAt: nil, at: now)
                    actions.append(.install(id, override.fingerprint, timeout: options.holdTimeout))
                }
            case .push:
                guard !lifted.contains(id), let expiry = override.expiresAt else { continue }
                if var entry = tracked[id] {
                    // The attack ended at its location: the rule follows its new expiry.
                    if entry.pushed && entry.attack.mitigation == .active && entry.expiresAt != expiry {
                        entry.expiresAt = expiry
                        tracked[id] = entry
                        actions.append(.refresh(id, entry.attack.target, timeout: max(1, Int(expiry.timeIntervalSince(now).rounded(.up)))))
                    }
                    continue
                }
                guard expiry > now else { continue }
                tracked[id] = pushedEntry(override, mitigation: .active, expiresAt: expiry, at: now)
                actions.append(.install(id, override.fingerprint, timeout: max(1, Int(expiry.timeIntervalSince(now).rounded(.up)))))
            }
        }
        // A pin the operator took back: the rule follows the attack again.
        for (id, entry) in tracked where entry.attack.mitigation == .pinned && !pinned.contains(id) {
            var entry = entry
            entry.attack.mitigation = .active
            if entry.attack.status == .ended || entry.pushed {
                entry.expiresAt = now.addingTimeInterval(TimeInterval(options.cooldown))
                actions.append(.refresh(id, entry.attack.target, timeout: options.cooldown))
            }
            tracked[id] = entry
            if !entry.pushed { actions.append(.report(entry.attack)) }
        }
        return actions
    }

    func pushedEntry(_ override: MitigationOverride, mitigation: Attack.Mitigation, expiresAt: Date?, at now: Date) -> Tracked {
        let attack = Attack(id: override.attackID, accountID: nil, target: override.fingerprint.target, prefix: nil, startedAt: now,
                            mitigatedAt: now, fingerprint: override.fingerprint, mitigation: mitigation)
        return Tracked(attack: attack, installed: true, lastRefresh: now, lastReport: now, expiresAt: expiresAt, pushed: true)
    }
}
