import GRDB

/// The SQLite schema, as migrations: a database made by an older Moat is upgraded in place.
enum Schema {
    static func migrator() -> DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "meta") { t in
                t.primaryKey("key", .text)
                t.column("value", .integer).notNull()
            }
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('version', 0)")

            try db.create(table: "accounts") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "tokens") { t in
                t.primaryKey("id", .text)
                t.column("hash", .text).notNull().unique()
                t.column("scope", .text).notNull()
                t.column("account_id", .text).references("accounts", onDelete: .cascade)
                t.column("description", .text)
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "locations") { t in
                t.primaryKey("id", .text)
                t.column("name", .text).notNull()
                t.column("region", .text).notNull()
                t.column("created_at", .datetime).notNull()
            }
            try db.create(table: "edges") { t in
                t.primaryKey("id", .text)
                t.column("location", .text).notNull().references("locations")
                t.column("name", .text)
                t.column("status", .text).notNull()
                t.column("hostname", .text)
                t.column("agent_version", .text)
                t.column("applied_version", .integer)
                t.column("last_error", .text)
                t.column("last_seen", .datetime)
                t.column("created_at", .datetime).notNull()
                t.column("enrollment_hash", .text).unique()
                t.column("enrollment_expires_at", .datetime)
                t.column("credential_hash", .text).unique()
            }
            try db.create(table: "prefixes") { t in
                t.primaryKey("id", .text)
                t.column("account_id", .text).notNull().indexed().references("accounts")
                t.column("cidr", .text).notNull()
                t.column("description", .text)
                t.column("origin_asn", .integer)
                t.column("status", .text).notNull()
                t.column("advertised", .boolean).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(table: "tunnels") { t in
                t.primaryKey("id", .text)
                t.column("account_id", .text).notNull().indexed().references("accounts")
                t.column("name", .text).notNull()
                t.column("description", .text)
                t.column("customer_endpoint", .text).notNull()
                t.column("moat_endpoint", .text).notNull()
                t.column("interface_address", .text).notNull()
                t.column("ttl", .integer).notNull()
                t.column("mtu", .integer).notNull()
                t.column("health_check", .jsonText).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.uniqueKey(["account_id", "name"])
            }
            try db.create(table: "routes") { t in
                t.primaryKey("id", .text)
                t.column("account_id", .text).notNull().indexed().references("accounts")
                t.column("prefix", .text).notNull()
                t.column("nexthop", .text).notNull()
                t.column("tunnel_id", .text).notNull().references("tunnels")
                t.column("priority", .integer).notNull()
                t.column("weight", .integer).notNull()
                t.column("scope", .jsonText).notNull()
                t.column("description", .text)
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(table: "audit") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("at", .datetime).notNull()
                t.column("actor", .text).notNull()
                t.column("account_id", .text).indexed()
                t.column("action", .text).notNull()
                t.column("object_id", .text)
                t.column("version", .integer).notNull()
                t.column("summary", .text)
            }
            try db.create(table: "location_configs") { t in
                t.primaryKey("location", .text)
                t.column("version", .integer).notNull()
                t.column("digest", .text).notNull()
                t.column("body", .blob).notNull()
            }
        }
        migrator.registerMigration("v2-firewall") { db in
            try db.create(table: "firewall_rules") { t in
                t.primaryKey("id", .text)
                t.column("account_id", .text).notNull().indexed().references("accounts")
                t.column("expression", .text).notNull()
                t.column("action", .text).notNull()
                t.column("rate_limit", .jsonText)
                t.column("description", .text)
                t.column("enabled", .boolean).notNull()
                t.column("position", .integer).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
            }
            try db.create(table: "firewall_lists") { t in
                t.primaryKey("id", .text)
                t.column("account_id", .text).notNull().indexed().references("accounts")
                t.column("name", .text).notNull()
                t.column("description", .text)
                t.column("items", .jsonText).notNull()
                t.column("created_at", .datetime).notNull()
                t.column("updated_at", .datetime).notNull()
                t.uniqueKey(["account_id", "name"])
            }
        }
        migrator.registerMigration("v3-firewall-hits") { db in
            // Cumulative counters as each edge last reported them.
            try db.create(table: "firewall_hits") { t in
                t.column("rule_id", .text).notNull()
                t.column("edge_id", .text).notNull()
                t.column("location", .text).notNull()
                t.column("packets", .integer).notNull()
                t.column("updated_at", .datetime).notNull()
                t.primaryKey(["rule_id", "edge_id"])
            }
        }
        return migrator
    }
}
