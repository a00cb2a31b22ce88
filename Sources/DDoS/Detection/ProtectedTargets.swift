import MoatModel

/// Which destinations the detector watches and with what threshold: the approved prefixes of
/// accounts, each with the account's threshold, or a narrower one the account set for part of
/// its space (the longest match wins).
package struct ProtectedTargets: Sendable {
    package struct Target: Equatable, Sendable {
        package var accountID: String
        /// The account prefix the address lies in.
        package var prefix: CIDR
        package var threshold: DetectionThreshold
        package var automaticMitigation: Bool

        package init(accountID: String, prefix: CIDR, threshold: DetectionThreshold, automaticMitigation: Bool) {
            self.accountID = accountID
            self.prefix = prefix
            self.threshold = threshold
            self.automaticMitigation = automaticMitigation
        }
    }

    struct Entry: Sendable {
        var cidr: CIDR
        var target: Target
    }

    /// Longest prefix first.
    private var entries: [Entry]

    package init(prefixes: [Prefix], ddos: EdgeDDoS) {
        var entries: [Entry] = []
        for prefix in prefixes where prefix.status == .approved {
            let account = ddos.account(prefix.accountID)
            let base = Target(accountID: prefix.accountID, prefix: prefix.cidr, threshold: account.detection,
                              automaticMitigation: account.automaticMitigation)
            entries.append(Entry(cidr: prefix.cidr, target: base))
            for narrower in account.thresholds where prefix.cidr.contains(narrower.prefix) {
                var target = base
                target.threshold = narrower.threshold
                entries.append(Entry(cidr: narrower.prefix, target: target))
            }
        }
        self.entries = entries.sorted { $0.cidr.length > $1.cidr.length }
    }

    package init() { entries = [] }

    package var isEmpty: Bool { entries.isEmpty }

    /// Every protected prefix (what the sampling rule matches).
    package var prefixes: [CIDR] { entries.filter { $0.cidr == $0.target.prefix }.map(\.cidr) }

    package func target(for address: IPAddress) -> Target? {
        entries.first { $0.cidr.contains(address) }?.target
    }
}
