import MoatModel

/// The edge's `inet moat_mitigate` table: one drop rule per mitigated attack, matching the
/// attack's fingerprint and a one-element set holding the target with a kernel timeout. The
/// kernel ends a mitigation by itself when the edge stops refreshing it (an agent that died
/// cannot leave a drop rule behind for longer than that timeout); the edge deletes expired
/// rules and their sets.
///
/// The table's chain hooks prerouting at -475: after sampling (-500), so attacks stay visible
/// to the detector, before the managed rules and defragmentation.
package enum MitigationRuleset {
    package static let table = "moat_mitigate"
    package static let chain = "attacks"
    package static let priority = -475

    /// Creates the table empty (at the edge's start; mitigations are found again by detection).
    package static func reset() -> String {
        "table inet \(table)\ndelete table inet \(table)\ntable inet \(table) {\n  chain \(chain) {\n    type filter hook prerouting priority \(priority); policy accept;\n  }\n}\n"
    }

    /// The set's name for an attack id (`atk_` + 16 hex digits).
    package static func setName(_ attackID: String) -> String { "m_" + attackID.dropFirst(4) }

    /// The comment that tags the attack's rule (how it is found again to delete or count it).
    package static func comment(_ attackID: String) -> String { "attack:\(attackID)" }

    package static func install(_ attackID: String, _ fingerprint: AttackFingerprint, timeout: Int) -> String {
        let set = setName(attackID)
        let v4 = fingerprint.target.isIPv4
        let match = ([(v4 ? "ip daddr @" : "ip6 daddr @") + set] + fingerprint.nftConditions).joined(separator: " ")
        return """
        add set inet \(table) \(set) { type \(v4 ? "ipv4_addr" : "ipv6_addr"); flags timeout; }
        add element inet \(table) \(set) { \(fingerprint.target) timeout \(max(1, timeout))s }
        add rule inet \(table) \(chain) \(match) counter drop comment "\(comment(attackID))"

        """
    }

    /// Sets the target's timeout afresh (flush and add: the element may have expired already).
    package static func refresh(_ attackID: String, target: IPAddress, timeout: Int) -> String {
        let set = setName(attackID)
        return "flush set inet \(table) \(set)\nadd element inet \(table) \(set) { \(target) timeout \(max(1, timeout))s }\n"
    }

    /// Deletes the attack's rule (by the handle its listing showed) and its set.
    package static func remove(_ attackID: String, handle: Int?) -> String {
        var text = ""
        if let handle { text += "delete rule inet \(table) \(chain) handle \(handle)\n" }
        return text + "delete set inet \(table) \(setName(attackID))\n"
    }
}
