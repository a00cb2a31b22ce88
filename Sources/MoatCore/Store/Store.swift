import Foundation
import MoatModel

/// The outcome of a write: the object and the config version the change produced.
package struct Written<Value: Sendable>: Sendable {
    package var value: Value
    package var version: Int
}

/// Filters for the audit log.
package struct AuditQuery: Sendable {
    package var accountID: String?
    package var limit: Int
    package var beforeID: Int64?

    package init(accountID: String? = nil, limit: Int = 100, beforeID: Int64? = nil) {
        self.accountID = accountID
        self.limit = limit
        self.beforeID = beforeID
    }
}

/// What an edge reported through sync or status.
package struct EdgeReport: Sendable {
    package var appliedVersion: Int?
    package var agentVersion: String?
    package var lastError: String??
    package var seenAt: Date
}

/// Core's persistent state. Every write runs in one transaction that also bumps the config
/// version, writes the audit record and recompiles the location configs it touches, so a
/// change is either entirely there (and acknowledged) or not at all.
///
/// Errors are `APIError`s: not found, conflict (409) and the checks that need other objects.
package protocol Store: Sendable {
    // MARK: tokens
    func principal(tokenHash: String) async throws -> Principal?
    /// Creates the operator token unless one exists; answers whether it made one.
    func ensureOperatorToken(hash: String) async throws -> Bool
    func replaceOperatorToken(hash: String) async throws
    func createToken(accountID: String, spec: TokenSpec, hash: String, actor: String) async throws -> Written<TokenInfo>
    func tokens(accountID: String) async throws -> [TokenInfo]
    func deleteToken(accountID: String, id: String, actor: String) async throws -> Written<Void>

    // MARK: accounts
    func createAccount(_ spec: AccountSpec, actor: String) async throws -> Written<Account>
    func accounts() async throws -> [Account]
    func account(_ id: String) async throws -> Account
    func updateAccount(_ id: String, actor: String, _ change: @Sendable (inout AccountSpec) throws -> Void) async throws -> Written<Account>
    func deleteAccount(_ id: String, actor: String) async throws -> Written<Void>

    // MARK: locations and edges
    func createLocation(_ spec: LocationSpec, actor: String) async throws -> Written<Location>
    func locations() async throws -> [Location]
    func location(_ id: String) async throws -> Location
    func updateLocation(_ id: String, actor: String, _ change: @Sendable (inout LocationSpec) throws -> Void) async throws -> Written<Location>
    func deleteLocation(_ id: String, actor: String) async throws -> Written<Void>

    func createEdge(_ spec: EdgeSpec, enrollmentHash: String, expiresAt: Date, actor: String) async throws -> Written<EdgeInfo>
    func edges() async throws -> [EdgeInfo]
    func deleteEdge(_ id: String, actor: String) async throws -> Written<Void>
    /// Trades a one-time enrolment token for an edge credential.
    func enroll(enrollmentHash: String, credentialHash: String, hostname: String?, agentVersion: String?, at: Date) async throws -> EdgeInfo
    func recordEdgeReport(_ id: String, _ report: EdgeReport) async throws
    /// Many reports in one transaction (edge presence, flushed every second).
    func recordEdgeReports(_ reports: [String: EdgeReport]) async throws

    // MARK: prefixes, tunnels, routes
    func createBGPPeer(location: String, _ spec: BGPPeerSpec, actor: String) async throws -> Written<BGPPeer>
    func bgpPeers(location: String) async throws -> [BGPPeer]
    func bgpPeer(location: String, id: String) async throws -> BGPPeer
    func updateBGPPeer(location: String, id: String, actor: String, _ change: @Sendable (inout BGPPeerSpec) throws -> Void) async throws -> Written<BGPPeer>
    func deleteBGPPeer(location: String, id: String, actor: String) async throws -> Written<Void>
    /// The local AS numbers of every BGP peer: the ASes Moat announces from.
    func bgpLocalASNs() async throws -> Set<UInt32>

    func createApp(accountID: String, _ spec: SpectrumAppSpec, actor: String) async throws -> Written<SpectrumApp>
    func apps(accountID: String) async throws -> [SpectrumApp]
    func app(accountID: String, id: String) async throws -> SpectrumApp
    func updateApp(accountID: String, id: String, actor: String, _ change: @Sendable (inout SpectrumAppSpec) throws -> Void) async throws -> Written<SpectrumApp>
    func deleteApp(accountID: String, id: String, actor: String) async throws -> Written<Void>
    func recordProxyEvents(edgeID: String, location: String, events: [ProxyEvent], at: Date) async throws

    // DDoS protection
    func ddosSettings() async throws -> DDoSSettings
    func setDDoSSettings(_ settings: DDoSSettings, actor: String) async throws -> Written<DDoSSettings>
    func ddosAccountSettings(accountID: String) async throws -> DDoSAccountSettings
    func setDDoSAccountSettings(accountID: String, _ settings: DDoSAccountSettings, actor: String) async throws -> Written<DDoSAccountSettings>
    func recordAttacks(edgeID: String, location: String, attacks: [Attack], at: Date) async throws
    func attacks(accountID: String, status: Attack.Status?, limit: Int) async throws -> [Attack]
    func attack(accountID: String, id: String) async throws -> Attack
    func overrideAttack(accountID: String, id: String, _ action: MitigationOverride.Action, actor: String) async throws -> Written<Attack>
    func proxyEvents(accountID: String, appID: String, limit: Int, before: Date?) async throws -> [ProxyEvent]

    /// Refuses a prefix whose origin `originCheck` finds invalid against the stored ROA/IRR data.
    func createPrefix(accountID: String, _ spec: PrefixSpec, originCheck: OriginCheck, actor: String) async throws -> Written<Prefix>
    func prefixes(accountID: String) async throws -> [Prefix]
    func prefix(accountID: String, id: String) async throws -> Prefix
    /// Runs `originCheck` when the origin changes or the operator approves.
    func updatePrefix(accountID: String, id: String, patch: PrefixPatch, originCheck: OriginCheck, actor: String) async throws -> Written<Prefix>
    func deletePrefix(accountID: String, id: String, actor: String) async throws -> Written<Void>

    func createTunnel(accountID: String, _ spec: TunnelSpec, actor: String) async throws -> Written<Tunnel>
    func tunnels(accountID: String) async throws -> [Tunnel]
    func tunnel(accountID: String, id: String) async throws -> Tunnel
    func updateTunnel(accountID: String, id: String, actor: String, _ change: @Sendable (inout TunnelSpec) throws -> Void) async throws -> Written<Tunnel>
    func deleteTunnel(accountID: String, id: String, actor: String) async throws -> Written<Void>

    func createRoute(accountID: String, _ spec: RouteSpec, actor: String) async throws -> Written<Route>
    func routes(accountID: String) async throws -> [Route]
    func route(accountID: String, id: String) async throws -> Route
    func updateRoute(accountID: String, id: String, actor: String, _ change: @Sendable (inout RouteSpec) throws -> Void) async throws -> Written<Route>
    func deleteRoute(accountID: String, id: String, actor: String) async throws -> Written<Void>

    // MARK: firewall
    func createFirewallRule(accountID: String, _ spec: FirewallRuleSpec, actor: String) async throws -> Written<FirewallRule>
    func firewallRules(accountID: String) async throws -> [FirewallRule]
    func firewallRule(accountID: String, id: String) async throws -> FirewallRule
    func updateFirewallRule(accountID: String, id: String, actor: String, _ change: @Sendable (inout FirewallRuleSpec) throws -> Void) async throws -> Written<FirewallRule>
    func deleteFirewallRule(accountID: String, id: String, actor: String) async throws -> Written<Void>

    func createFirewallList(accountID: String, _ spec: FirewallListSpec, actor: String) async throws -> Written<FirewallList>
    func firewallLists(accountID: String) async throws -> [FirewallList]
    func firewallList(accountID: String, id: String) async throws -> FirewallList
    func updateFirewallList(accountID: String, id: String, actor: String, _ change: @Sendable (inout FirewallListSpec) throws -> Void) async throws -> Written<FirewallList>
    func deleteFirewallList(accountID: String, id: String, actor: String) async throws -> Written<Void>

    /// Replaces what one edge reported about its rule counters.
    func recordRuleHits(edgeID: String, location: String, hits: [String: UInt64], at: Date) async throws
    /// Packets per rule and location, summed over the location's edges.
    func ruleHits(accountID: String) async throws -> [String: [String: UInt64]]

    // MARK: tunnel health
    /// Stores what one edge's probes saw, received at `at` by core's clock. Reports about tunnels
    /// that no longer exist are dropped; expired history is deleted, at most once a minute.
    func recordTunnelHealth(edgeID: String, location: String, samples: [TunnelHealthSample], events: [TunnelStateChange], at: Date) async throws
    /// Each of the account's tunnels, by name, as each location's edges see it at `at`.
    func tunnelHealth(accountID: String, at: Date) async throws -> [TunnelHealthOverview]
    /// One tunnel's probe results per location, in the range's buckets.
    func tunnelHealthHistory(accountID: String, tunnelID: String, range: TunnelHealthRange) async throws -> TunnelHealthHistory

    // MARK: origin validation
    /// Replaces the ROA data (or the IRR route objects) and switches its checks on; answers what
    /// was loaded and the onboarded prefixes it now refuses.
    func loadOriginData(_ data: OriginDataUpload, check: OriginCheck, actor: String) async throws -> Written<OriginDataSummary>
    /// Drops one source and switches its checks off; 404 when it is not loaded.
    func clearOriginData(_ kind: OriginDataKind, actor: String) async throws -> Written<Void>
    func originValidationStatus() async throws -> OriginValidationStatus
    // MARK: traceroutes
    /// Stores a new job with its results (pending, or failed where no edge could take it).
    func createTraceroute(_ traceroute: Traceroute, expiresAt: Date) async throws
    /// The job as it stands at `now`: results still open past the deadline are failed.
    func traceroute(accountID: String, id: String, at now: Date) async throws -> Traceroute
    func startTraceroute(id: String, edgeID: String, location: String, at now: Date) async throws
    func recordTracerouteResults(id: String, edgeID: String, location: String, _ report: EdgeTracerouteReport, at now: Date) async throws

    // MARK: audit and config
    func audit(_ query: AuditQuery) async throws -> [AuditEntry]
    func currentVersion() async throws -> Int
    /// The compiled config of every location, as stored.
    func compiledConfigs() async throws -> [String: EdgeConfig]
}
