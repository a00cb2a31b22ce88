import Crypto
import Foundation
import MoatModel

/// Compiles the config of one location from the stored objects. Pure: same inputs, same config.
package enum ConfigCompiler {
    package static func compile(location: Location, prefixes: [Prefix], tunnels: [Tunnel], routes: [Route],
                                firewallRules: [FirewallRule] = [], firewallLists: [FirewallList] = [], bgpPeers: [BGPPeer] = [], apps: [SpectrumApp] = [], edges: [String] = [],
                                ddos: DDoSInputs = .init(), version: Int, at date: Date) -> EdgeConfig {
        // Firewall rules go where the account's traffic arrives: wherever its approved prefixes are.
        let served = Set(prefixes.filter { $0.status == .approved }.map(\.accountID))
        return EdgeConfig(
            version: version,
            location: location.id,
            region: location.region,
            generatedAt: date,
            prefixes: prefixes.filter { $0.status == .approved }.sorted { ($0.cidr, $0.id) < ($1.cidr, $1.id) },
            tunnels: tunnels.sorted { ($0.accountID, $0.name) < ($1.accountID, $1.name) },
            routes: routes
                .filter { $0.scope.includes(location: location.id, region: location.region) }
                .sorted { ($0.prefix, $0.priority, $0.id) < ($1.prefix, $1.priority, $1.id) },
            firewallRules: firewallRules.filter { $0.enabled && served.contains($0.accountID) }
                .sorted { ($0.accountID, $0.position) < ($1.accountID, $1.position) },
            firewallLists: firewallLists.filter { served.contains($0.accountID) }
                .sorted { ($0.accountID, $0.name) < ($1.accountID, $1.name) },
            bgpPeers: bgpPeers.filter { $0.location == location.id }.sorted { $0.name < $1.name },
            apps: apps.filter { $0.locations.isEmpty || $0.locations.contains(location.id) }.sorted { ($0.accountID, $0.name) < ($1.accountID, $1.name) },
            edges: edges.sorted(),
            ddos: ddos.config(for: location.id, accounts: served)
        )
    }

    /// A digest of what the config programs, without its version and time, so that a change
    /// elsewhere does not wake this location's edges.
    package static func digest(_ config: EdgeConfig) throws -> String {
        var content = config
        content.version = 0
        content.generatedAt = Date(timeIntervalSince1970: 0)
        let data = try MoatJSON.encoder().encode(content)
        return SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}

/// What the DDoS part of every location's config is made of.
package struct DDoSInputs: Sendable {
    package var settings: DDoSSettings
    package var accounts: [String: DDoSAccountSettings]
    /// Attacks with an operator pin or lift, and (when pushing is on) every mitigated attack.
    package var attacks: [StoredAttack]

    package struct StoredAttack: Sendable {
        package var attack: Attack
        package var override: MitigationOverride.Action?

        package init(attack: Attack, override: MitigationOverride.Action?) {
            self.attack = attack
            self.override = override
        }
    }

    package init(settings: DDoSSettings = .init(), accounts: [String: DDoSAccountSettings] = [:], attacks: [StoredAttack] = []) {
        self.settings = settings
        self.accounts = accounts
        self.attacks = attacks
    }

    /// The accounts served here with their effective settings; the operator's pins and lifts;
    /// other locations' live mitigations when they are pushed everywhere.
    package func config(for location: String, accounts served: Set<String>) -> EdgeDDoS {
        let accounts = served.sorted().map { EdgeDDoS.Account(accountID: $0, settings: settings, overrides: self.accounts[$0]) }
        var overrides: [MitigationOverride] = []
        for stored in attacks.sorted(by: { $0.attack.id < $1.attack.id }) {
            let attack = stored.attack
            guard let fingerprint = attack.fingerprint, served.contains(attack.accountID ?? "") else { continue }
            if let action = stored.override {
                overrides.append(MitigationOverride(attackID: attack.id, action: action, fingerprint: fingerprint))
            } else if settings.mitigation.pushToAllLocations, attack.location != location, attack.mitigation == .active {
                // Until the attack's end plus the cool-down; a day while it lasts (its end changes it).
                let expiry = attack.endedAt.map { $0.addingTimeInterval(TimeInterval(settings.mitigation.cooldown)) }
                    ?? attack.startedAt.addingTimeInterval(86_400)
                overrides.append(MitigationOverride(attackID: attack.id, action: .push, fingerprint: fingerprint, expiresAt: expiry))
            }
        }
        return EdgeDDoS(settings: settings, accounts: accounts, overrides: overrides)
    }
}
