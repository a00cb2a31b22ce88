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
        migrator.registerMigration("v4-tunnel-health") { db in
            // Times are Unix milliseconds (minutes: Unix seconds) so that SQL compares and
            // buckets them as numbers. Deleting a tunnel deletes its health.
            try db.create(table: "tunnel_health_samples") { t in
                t.column("tunnel_id", .text).notNull().references("tunnels", onDelete: .cascade)
                t.column("location", .text).notNull()
                t.column("edge_id", .text).notNull()
                t.column("start_ms", .integer).notNull()
                t.column("end_ms", .integer).notNull().indexed()
                t.column("sent", .integer).notNull()
                t.column("lost", .integer).notNull()
                t.column("rtt_min", .double)
                t.column("rtt_avg", .double)
                t.column("rtt_max", .double)
                t.column("state", .text).notNull()
                // An edge that resends a report after a timeout is not counted twice.
                t.primaryKey(["tunnel_id", "edge_id", "start_ms"])
            }
            try db.create(index: "tunnel_health_samples_by_time", on: "tunnel_health_samples", columns: ["tunnel_id", "start_ms"])
            try db.create(table: "tunnel_health_minutes") { t in
                t.column("tunnel_id", .text).notNull().references("tunnels", onDelete: .cascade)
                t.column("location", .text).notNull()
                t.column("minute", .integer).notNull().indexed()
                t.column("sent", .integer).notNull()
                t.column("lost", .integer).notNull()
                t.column("rtt_min", .double)
                t.column("rtt_max", .double)
                t.column("rtt_sum", .double).notNull()
                t.column("rtt_weight", .integer).notNull()
                t.column("state", .text).notNull()
                t.primaryKey(["tunnel_id", "minute", "location"])
            }
            try db.create(table: "tunnel_health_current") { t in
                t.column("tunnel_id", .text).notNull().references("tunnels", onDelete: .cascade)
                t.column("edge_id", .text).notNull().references("edges", onDelete: .cascade)
                t.column("location", .text).notNull()
                t.column("state", .text).notNull()
                t.column("since_ms", .integer).notNull()
                t.column("observed_ms", .integer).notNull()
                t.column("last_report_ms", .integer).notNull().indexed()
                t.primaryKey(["tunnel_id", "edge_id"])
            }
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('tunnel_health_pruned', 0)")
        }
        migrator.registerMigration("v5-bgp-peers") { db in
            try db.create(table: "bgp_peers") { t in
                t.primaryKey("id", .text)
                t.column("location", .text).notNull().indexed().references("locations")
                t.column("name", .text).notNull()
                t.column("body", .jsonText).notNull()
                t.uniqueKey(["location", "name"])
            }
        }
        migrator.registerMigration("v6-spectrum-apps") { db in
            try db.create(table: "spectrum_apps") { t in
                t.primaryKey("id", .text)
                t.column("account_id", .text).notNull().indexed().references("accounts", onDelete: .cascade)
                t.column("name", .text).notNull()
                t.column("body", .jsonText).notNull()
            }
            try db.create(table: "proxy_events") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("app_id", .text).notNull().references("spectrum_apps", onDelete: .cascade)
                t.column("account_id", .text).notNull()
                t.column("location", .text).notNull()
                t.column("start_ms", .integer).notNull()
                t.column("body", .jsonText).notNull()
            }
            try db.create(index: "proxy_events_by_app", on: "proxy_events", columns: ["app_id", "start_ms"])
        }
        migrator.registerMigration("v7-origin-validation") { db in
            // The operator's ROA and IRR data; a row in origin_data switches its source on.
            // Checks look rows up by the prefixes covering a route, as CIDR prints them.
            try db.create(table: "origin_data") { t in
                t.primaryKey("kind", .text)
                t.column("entries", .integer).notNull()
                t.column("ipv4", .integer).notNull()
                t.column("ipv6", .integer).notNull()
                t.column("loaded_at", .datetime).notNull()
                t.column("loaded_by", .text).notNull()
            }
            try db.create(table: "roas") { t in
                t.column("prefix", .text).notNull().indexed()
                t.column("max_length", .integer).notNull()
                t.column("asn", .integer).notNull()
            }
            try db.create(table: "irr_routes") { t in
                t.column("prefix", .text).notNull().indexed()
                t.column("origin", .integer).notNull()
                t.column("source", .text)
            }
        }
        migrator.registerMigration("v8-traceroutes") { db in
            // Jobs are kept for a day (`expires_at`); deleting the account deletes them.
            try db.create(table: "traceroutes") { t in
                t.primaryKey("id", .text)
                t.column("account_id", .text).notNull().indexed().references("accounts", onDelete: .cascade)
                t.column("created_at", .datetime).notNull()
                t.column("deadline", .datetime).notNull()
                t.column("expires_at", .datetime).notNull().indexed()
                t.column("options", .jsonText).notNull()
                t.column("targets", .jsonText).notNull()
                t.column("locations", .jsonText).notNull()
            }
            // One row per target and location: its state and, once the edge reported, its hops.
            try db.create(table: "traceroute_results") { t in
                t.column("traceroute_id", .text).notNull().references("traceroutes", onDelete: .cascade)
                t.column("target", .text).notNull()
                t.column("location", .text).notNull()
                t.column("position", .integer).notNull()
                t.column("edge_id", .text)
                t.column("status", .text).notNull()
                t.column("error", .text)
                t.column("reached", .boolean).notNull()
                t.column("hops", .jsonText).notNull()
                t.column("updated_at", .datetime).notNull()
                t.primaryKey(["traceroute_id", "target", "location"])
            }
        }
        migrator.registerMigration("v9-ddos") { db in
            // The operator's DDoS settings: one row (id 1) once set; defaults until then.
            try db.create(table: "ddos_settings") { t in
                t.primaryKey("id", .integer)
                t.column("body", .jsonText).notNull()
            }
            try db.create(table: "ddos_accounts") { t in
                t.primaryKey("account_id", .text).references("accounts", onDelete: .cascade)
                t.column("body", .jsonText).notNull()
            }
            // The latest report of each attack; `override` is the operator's pin or lift.
            try db.create(table: "attacks") { t in
                t.primaryKey("id", .text)
                t.column("account_id", .text).notNull().indexed().references("accounts", onDelete: .cascade)
                t.column("edge_id", .text).notNull()
                t.column("location", .text).notNull()
                t.column("status", .text).notNull()
                t.column("started_at", .datetime).notNull().indexed()
                t.column("override", .text)
                t.column("body", .jsonText).notNull()
            }
        }
        return migrator
    }
}
