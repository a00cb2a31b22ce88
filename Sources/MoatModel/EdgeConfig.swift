import Foundation

/// Everything one location needs to run its data plane, compiled by core and delivered to each
/// of the location's edges. A snapshot: edges replace their whole config with a newer one.
public struct EdgeConfig: Codable, Equatable, Sendable {
    /// The config version: monotonic across all changes; a location's config keeps the
    /// version of the last change that altered it.
    public var version: Int
    public var location: String
    public var region: String
    public var generatedAt: Date
    /// Approved prefixes of every account. The edge announces those with `advertised` set.
    public var prefixes: [Prefix]
    /// Every tunnel of every account: every edge probes every tunnel.
    public var tunnels: [Tunnel]
    /// Only the routes whose scope includes this location.
    public var routes: [Route]
    /// The enabled firewall rules of the accounts whose prefixes this location serves, in
    /// ruleset order per account.
    public var firewallRules: [FirewallRule]
    /// Those accounts' IP lists.
    public var firewallLists: [FirewallList]
    /// The location's BGP peers, MD5 keys included; each edge runs those that apply to it.
    public var bgpPeers: [BGPPeer]
    /// The Spectrum apps this location serves.
    public var apps: [SpectrumApp]
    /// The enrolled edges of the location, sorted: where a router limits the prefixes it takes
    /// from each server, every edge computes the same spread of prefixes over them.
    public var edges: [String]
    /// DDoS protection: managed rules, detection and mitigation settings, overrides.
    public var ddos: EdgeDDoS

    enum CodingKeys: String, CodingKey {
        case version, location, region, prefixes, tunnels, routes, edges, ddos
        case generatedAt = "generated_at"
        case firewallRules = "firewall_rules"
        case firewallLists = "firewall_lists"
        case bgpPeers = "bgp_peers"
        case apps
    }

    public init(version: Int, location: String, region: String, generatedAt: Date, prefixes: [Prefix] = [], tunnels: [Tunnel] = [],
                routes: [Route] = [], firewallRules: [FirewallRule] = [], firewallLists: [FirewallList] = [],
                bgpPeers: [BGPPeer] = [], apps: [SpectrumApp] = [], edges: [String] = [], ddos: EdgeDDoS = .init()) {
        self.version = version
        self.location = location
        self.region = region
        self.generatedAt = generatedAt
        self.prefixes = prefixes
        self.tunnels = tunnels
        self.routes = routes
        self.firewallRules = firewallRules
        self.firewallLists = firewallLists
        self.bgpPeers = bgpPeers
        self.apps = apps
        self.edges = edges
        self.ddos = ddos
    }

    /// Configs written before a part existed (an edge's last-known-good file) read as empty there.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        version = try container.decode(Int.self, forKey: .version)
        location = try container.decode(String.self, forKey: .location)
        region = try container.decode(String.self, forKey: .region)
        generatedAt = try container.decode(Date.self, forKey: .generatedAt)
        prefixes = try container.decodeIfPresent([Prefix].self, forKey: .prefixes) ?? []
        tunnels = try container.decodeIfPresent([Tunnel].self, forKey: .tunnels) ?? []
        routes = try container.decodeIfPresent([Route].self, forKey: .routes) ?? []
        firewallRules = try container.decodeIfPresent([FirewallRule].self, forKey: .firewallRules) ?? []
        firewallLists = try container.decodeIfPresent([FirewallList].self, forKey: .firewallLists) ?? []
        bgpPeers = try container.decodeIfPresent([BGPPeer].self, forKey: .bgpPeers) ?? []
        edges = try container.decodeIfPresent([String].self, forKey: .edges) ?? []
        apps = try container.decodeIfPresent([SpectrumApp].self, forKey: .apps) ?? []
        ddos = try container.decodeIfPresent(EdgeDDoS.self, forKey: .ddos) ?? .init()
    }
}

/// `POST /v1/edge/enroll`: an edge trades its one-time enrolment token for a credential.
public struct EnrollRequest: Codable, Equatable, Sendable {
    public var token: String
    public var hostname: String?
    public var agentVersion: String?

    enum CodingKeys: String, CodingKey {
        case token, hostname
        case agentVersion = "agent_version"
    }

    public init(token: String, hostname: String?, agentVersion: String?) {
        self.token = token
        self.hostname = hostname
        self.agentVersion = agentVersion
    }
}

public struct EnrollResponse: Codable, Equatable, Sendable {
    public var edgeID: String
    public var location: String
    /// The edge's own bearer credential, shown once.
    public var credential: String

    enum CodingKeys: String, CodingKey {
        case location, credential
        case edgeID = "edge_id"
    }

    public init(edgeID: String, location: String, credential: String) {
        self.edgeID = edgeID
        self.location = location
        self.credential = credential
    }
}

/// `POST /v1/edge/status`: what an edge runs, and why a config did not apply.
public struct EdgeStatusReport: Codable, Equatable, Sendable {
    public var appliedVersion: Int?
    public var agentVersion: String?
    /// The version that failed to apply, and why; the edge keeps running `appliedVersion`.
    public var failedVersion: Int?
    public var error: String?

    enum CodingKeys: String, CodingKey {
        case error
        case appliedVersion = "applied_version"
        case agentVersion = "agent_version"
        case failedVersion = "failed_version"
    }

    public init(appliedVersion: Int?, agentVersion: String?, failedVersion: Int? = nil, error: String? = nil) {
        self.appliedVersion = appliedVersion
        self.agentVersion = agentVersion
        self.failedVersion = failedVersion
        self.error = error
    }
}

/// The `{"items": [...]}` envelope of every list answer.
public struct ItemList<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]
    public init(items: [Item]) { self.items = items }
}

/// An audit record: who changed what, when.
public struct AuditEntry: Codable, Equatable, Sendable {
    public var id: Int64
    public var at: Date
    /// `operator`, `token:<id>` or `edge:<id>`.
    public var actor: String
    public var accountID: String?
    /// `prefix.create`, `tunnel.update`, ...
    public var action: String
    public var objectID: String?
    /// The config version the change produced.
    public var version: Int
    public var summary: String?

    enum CodingKeys: String, CodingKey {
        case id, at, actor, action, version, summary
        case accountID = "account_id"
        case objectID = "object_id"
    }

    public init(id: Int64, at: Date, actor: String, accountID: String?, action: String, objectID: String?, version: Int, summary: String?) {
        self.id = id
        self.at = at
        self.actor = actor
        self.accountID = accountID
        self.action = action
        self.objectID = objectID
        self.version = version
        self.summary = summary
    }
}

/// The JSON shape of every API error: `{"error": {"code", "message", "field"}}`.
public struct APIErrorBody: Codable, Equatable, Sendable {
    public struct Detail: Codable, Equatable, Sendable {
        public var code: String
        public var message: String
        public var field: String?
        /// Where in the field's text the fault is (rule expressions), in UTF-8 bytes.
        public var span: TextSpan?
        public init(code: String, message: String, field: String?, span: TextSpan? = nil) {
            self.code = code
            self.message = message
            self.field = field
            self.span = span
        }
    }

    public struct TextSpan: Codable, Equatable, Sendable {
        public var start: Int
        public var length: Int
        public init(start: Int, length: Int) {
            self.start = start
            self.length = length
        }
    }
    public var error: Detail
    public init(error: Detail) { self.error = error }
}

/// JSON coding shared by core, edge and client: ISO 8601 dates with fractions, sorted keys.
public enum MoatJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true)))
        }
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "invalid date '\(text)'")
        }
        return decoder
    }
}

/// `POST /v1/edge/telemetry`: what an edge counted since it started, and what its probes saw.
public struct EdgeTelemetry: Codable, Equatable, Sendable {
    /// Packets per firewall rule id (cumulative kernel counters).
    public var ruleHits: [String: UInt64]
    /// Per-tunnel probe summaries since the last report.
    public var tunnelHealth: [TunnelHealthSample]
    /// Tunnel state changes since the last report.
    public var tunnelEvents: [TunnelStateChange]
    /// Finished Spectrum connections and sessions since the last report.
    public var proxyEvents: [ProxyEvent]
    /// Attacks that started, changed or ended since the last report (latest state of each).
    public var attacks: [Attack]
    /// Spectrum apps of the config the edge does not serve, by id, with the reason; the whole
    /// set each time (empty: it serves them all). nil from an edge that runs no proxy.
    public var unservedApps: [String: String]?

    enum CodingKeys: String, CodingKey {
        case attacks
        case ruleHits = "rule_hits"
        case tunnelHealth = "tunnel_health"
        case tunnelEvents = "tunnel_events"
        case proxyEvents = "proxy_events"
        case unservedApps = "unserved_apps"
    }

    public init(ruleHits: [String: UInt64] = [:], tunnelHealth: [TunnelHealthSample] = [], tunnelEvents: [TunnelStateChange] = [],
                proxyEvents: [ProxyEvent] = [], unservedApps: [String: String]? = nil, attacks: [Attack] = []) {
        self.attacks = attacks
        self.ruleHits = ruleHits
        self.tunnelHealth = tunnelHealth
        self.tunnelEvents = tunnelEvents
        self.proxyEvents = proxyEvents
        self.unservedApps = unservedApps
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        ruleHits = try container.decodeIfPresent([String: UInt64].self, forKey: .ruleHits) ?? [:]
        tunnelHealth = try container.decodeIfPresent([TunnelHealthSample].self, forKey: .tunnelHealth) ?? []
        tunnelEvents = try container.decodeIfPresent([TunnelStateChange].self, forKey: .tunnelEvents) ?? []
        proxyEvents = try container.decodeIfPresent([ProxyEvent].self, forKey: .proxyEvents) ?? []
        attacks = try container.decodeIfPresent([Attack].self, forKey: .attacks) ?? []
        unservedApps = try container.decodeIfPresent([String: String].self, forKey: .unservedApps)
    }
}
