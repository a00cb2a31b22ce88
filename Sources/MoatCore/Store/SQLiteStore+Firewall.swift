import Foundation
import GRDB
import MoatModel

extension SQLiteStore {
    // MARK: rules

    package func createFirewallRule(accountID: String, _ spec: FirewallRuleSpec, actor: String) async throws -> Written<FirewallRule> {
        let change = Change(actor: actor, accountID: accountID, action: "firewall_rule.create", summary: "\(spec.action.rawValue) \(spec.expression.prefix(120))", affectsConfig: true)
        return try await write(change) { db, now in
            try Self.requireAccount(db, accountID)
            try RuleCheck.check(spec.expression, lists: try Self.listNames(db, accountID))
            let count = try FirewallRule.owned(by: accountID).fetchCount(db)
            let position = min(spec.position ?? count + 1, count + 1)
            try db.execute(sql: "UPDATE firewall_rules SET position = position + 1 WHERE account_id = ? AND position >= ?", arguments: [accountID, position])
            let rule = FirewallRule(accountID: accountID, spec: spec, position: position, at: now)
            try rule.insert(db)
            return (rule, rule.id)
        }
    }

    package func firewallRules(accountID: String) async throws -> [FirewallRule] {
        try await pool.read { db in
            try Self.requireAccount(db, accountID)
            return try FirewallRule.owned(by: accountID).order(Column("position")).fetchAll(db)
        }
    }

    package func firewallRule(accountID: String, id: String) async throws -> FirewallRule {
        try await pool.read { db in try Self.fetchOwned(FirewallRule.self, db, accountID: accountID, id: id) }
    }

    package func updateFirewallRule(accountID: String, id: String, actor: String, _ change: @Sendable (inout FirewallRuleSpec) throws -> Void) async throws -> Written<FirewallRule> {
        var spec = try await firewallRule(accountID: accountID, id: id).spec
        spec.position = nil
        try change(&spec)
        let updated = spec
        let describe = Change(actor: actor, accountID: accountID, action: "firewall_rule.update", objectID: id, summary: updated.position.map { "position \($0)" }, affectsConfig: true)
        return try await write(describe) { db, now in
            var rule = try Self.fetchOwned(FirewallRule.self, db, accountID: accountID, id: id)
            try RuleCheck.check(updated.expression, lists: try Self.listNames(db, accountID))
            if let wanted = updated.position, wanted != rule.position {
                // Take the rule out of the order, then put it back at its new place.
                let count = try FirewallRule.owned(by: accountID).fetchCount(db)
                let target = min(wanted, count)
                try db.execute(sql: "UPDATE firewall_rules SET position = position - 1 WHERE account_id = ? AND position > ?", arguments: [accountID, rule.position])
                try db.execute(sql: "UPDATE firewall_rules SET position = position + 1 WHERE account_id = ? AND position >= ? AND id != ?", arguments: [accountID, target, id])
                rule.position = target
            }
            rule.expression = updated.expression
            rule.action = updated.action
            rule.rateLimit = updated.rateLimit
            rule.description = updated.description
            rule.enabled = updated.enabled
            rule.updatedAt = now
            try rule.update(db)
            return (rule, id)
        }
    }

    package func deleteFirewallRule(accountID: String, id: String, actor: String) async throws -> Written<Void> {
        try await write(Change(actor: actor, accountID: accountID, action: "firewall_rule.delete", objectID: id, affectsConfig: true)) { db, _ in
            let rule = try Self.fetchOwned(FirewallRule.self, db, accountID: accountID, id: id)
            _ = try FirewallRule.deleteOne(db, key: id)
            try db.execute(sql: "UPDATE firewall_rules SET position = position - 1 WHERE account_id = ? AND position > ?", arguments: [accountID, rule.position])
            return ((), id)
        }
    }

    // MARK: hits

    package func recordRuleHits(edgeID: String, location: String, hits: [String: UInt64], at now: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM firewall_hits WHERE edge_id = ?", arguments: [edgeID])
            for (rule, packets) in hits {
                try db.execute(sql: "INSERT INTO firewall_hits (rule_id, edge_id, location, packets, updated_at) VALUES (?, ?, ?, ?, ?)",
                               arguments: [rule, edgeID, location, Int64(clamping: packets), now])
            }
        }
    }

    package func ruleHits(accountID: String) async throws -> [String: [String: UInt64]] {
        try await pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT h.rule_id, h.location, SUM(h.packets) AS packets FROM firewall_hits h
                JOIN firewall_rules r ON r.id = h.rule_id WHERE r.account_id = ? GROUP BY h.rule_id, h.location
                """, arguments: [accountID])
            var hits: [String: [String: UInt64]] = [:]
            for row in rows {
                let rule: String = row["rule_id"], location: String = row["location"], packets: Int64 = row["packets"]
                hits[rule, default: [:]][location] = UInt64(max(0, packets))
            }
            return hits
        }
    }

    // MARK: lists

    package func createFirewallList(accountID: String, _ spec: FirewallListSpec, actor: String) async throws -> Written<FirewallList> {
        let change = Change(actor: actor, accountID: accountID, action: "firewall_list.create", summary: "\(spec.name) (\(spec.items.count) items)", affectsConfig: true)
        return try await write(change) { db, now in
            try Self.requireAccount(db, accountID)
            guard try !Self.listNames(db, accountID).contains(spec.name) else {
                throw APIError.conflict("the account already has a list named '\(spec.name)'", field: "name")
            }
            let list = FirewallList(accountID: accountID, spec: spec, at: now)
            try list.insert(db)
            return (list, list.id)
        }
    }

    package func firewallLists(accountID: String) async throws -> [FirewallList] {
        try await pool.read { db in
            try Self.requireAccount(db, accountID)
            return try FirewallList.owned(by: accountID).order(Column("name")).fetchAll(db)
        }
    }

    package func firewallList(accountID: String, id: String) async throws -> FirewallList {
        try await pool.read { db in try Self.fetchOwned(FirewallList.self, db, accountID: accountID, id: id) }
    }

    package func updateFirewallList(accountID: String, id: String, actor: String, _ change: @Sendable (inout FirewallListSpec) throws -> Void) async throws -> Written<FirewallList> {
        var spec = try await firewallList(accountID: accountID, id: id).spec
        try change(&spec)
        let updated = spec
        let describe = Change(actor: actor, accountID: accountID, action: "firewall_list.update", objectID: id, summary: "\(updated.name) (\(updated.items.count) items)", affectsConfig: true)
        return try await write(describe) { db, now in
            var list = try Self.fetchOwned(FirewallList.self, db, accountID: accountID, id: id)
            if updated.name != list.name {
                var names = try Self.listNames(db, accountID)
                guard !names.contains(updated.name) else { throw APIError.conflict("the account already has a list named '\(updated.name)'", field: "name") }
                names.remove(list.name)
                names.insert(updated.name)
                try Self.requireRulesStillCheck(db, accountID, lists: names, because: "renaming '\(list.name)'")
            }
            list.name = updated.name
            list.description = updated.description
            list.items = updated.items
            list.updatedAt = now
            try list.update(db)
            return (list, id)
        }
    }

    package func deleteFirewallList(accountID: String, id: String, actor: String) async throws -> Written<Void> {
        try await write(Change(actor: actor, accountID: accountID, action: "firewall_list.delete", objectID: id, affectsConfig: true)) { db, _ in
            let list = try Self.fetchOwned(FirewallList.self, db, accountID: accountID, id: id)
            var names = try Self.listNames(db, accountID)
            names.remove(list.name)
            try Self.requireRulesStillCheck(db, accountID, lists: names, because: "deleting '\(list.name)'")
            _ = try FirewallList.deleteOne(db, key: id)
            return ((), id)
        }
    }

    static func requireRulesStillCheck(_ db: Database, _ accountID: String, lists: Set<String>, because: String) throws {
        let rules = try FirewallRule.owned(by: accountID).fetchAll(db)
        if let broken = RuleCheck.firstBroken(rules, lists: lists) {
            throw APIError.conflict("rule \(broken.id) (position \(broken.position)) uses the list; \(because) would break it")
        }
    }

    static func listNames(_ db: Database, _ accountID: String) throws -> Set<String> {
        Set(try String.fetchAll(db, sql: "SELECT name FROM firewall_lists WHERE account_id = ?", arguments: [accountID]))
    }
}
