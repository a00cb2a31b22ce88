import Foundation
import HTTPTypes
import MoatCore
import MoatModel
import Testing

/// Tunnel health from the edges' reports to the matrix and the history, through the real routes
/// with enrolled edge credentials and a clock the tests move.
@Suite struct TunnelHealthAPITests {
    static let t0 = RFC3339.date("2026-11-23T12:00:00Z")!

    struct Fixture {
        var account: String
        var gre1: String
        var gre2: String
        /// Edge credentials by name: ams1-a, ams1-b, fra1-a.
        var edges: [String: String]
        var base: String { "/v1/accounts/\(account)/tunnels" }
    }

    static func fixture(_ api: API) async throws -> Fixture {
        _ = try await api.create("/v1/locations", #"{"id":"ams1","name":"Amsterdam","region":"WEUR"}"#)
        _ = try await api.create("/v1/locations", #"{"id":"fra1","name":"Frankfurt","region":"WEUR"}"#)
        let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
        let gre1 = try await api.create("/v1/accounts/\(account)/tunnels",
            #"{"name":"gre1","customer_endpoint":"198.51.100.1","moat_endpoint":"192.0.2.1","interface_address":"10.200.0.0/31"}"#)
        let gre2 = try await api.create("/v1/accounts/\(account)/tunnels",
            #"{"name":"gre2","customer_endpoint":"198.51.100.2","moat_endpoint":"192.0.2.1","interface_address":"10.200.0.2/31"}"#)
        var edges: [String: String] = [:]
        for name in ["ams1-a", "ams1-b", "fra1-a"] {
            let location = String(name.prefix(4))
            let enrolment = try await api.call(.post, "/v1/edges", json: #"{"location":"\#(location)","name":"\#(name)"}"#)
            let token = try #require(enrolment.json["enrollment_token"] as? String)
            let enrolled = try await api.call(.post, "/v1/edge/enroll", as: .none, json: #"{"token":"\#(token)"}"#)
            edges[name] = try #require(enrolled.json["credential"] as? String)
        }
        return Fixture(account: account, gre1: gre1, gre2: gre2, edges: edges)
    }

    static func sample(_ tunnel: String, _ start: Date, seconds: TimeInterval = 10, sent: Int, lost: Int,
                       rtt: (Double, Double, Double)? = nil, _ state: TunnelState) -> TunnelHealthSample {
        TunnelHealthSample(tunnelID: tunnel, start: start, end: start + seconds, sent: sent, lost: lost,
                           rttMin: rtt?.0, rttAvg: rtt?.1, rttMax: rtt?.2, state: state)
    }

    /// Posts what an edge agent posts: an encoded EdgeTelemetry.
    static func report(_ api: API, _ credential: String?, samples: [TunnelHealthSample] = [], events: [TunnelStateChange] = []) async throws {
        let body = try MoatJSON.encoder().encode(EdgeTelemetry(tunnelHealth: samples, tunnelEvents: events))
        let answer = try await api.call(.post, "/v1/edge/telemetry", as: .token(try #require(credential)), json: String(decoding: body, as: UTF8.self))
        #expect(answer.status == 204, "\(String(decoding: answer.body, as: UTF8.self))")
    }

    static func matrix(_ api: API, _ fixture: Fixture, as caller: API.As = .op) async throws -> [TunnelHealthOverview] {
        let answer = try await api.call(.get, "\(fixture.base)/health", as: caller)
        #expect(answer.status == 200)
        return try MoatJSON.decoder().decode(ItemList<TunnelHealthOverview>.self, from: answer.body).items
    }

    static func history(_ api: API, _ fixture: Fixture, _ tunnel: String, _ query: String) async throws -> TunnelHealthHistory {
        let answer = try await api.call(.get, "\(fixture.base)/\(tunnel)/health\(query)")
        #expect(answer.status == 200, "\(query): \(String(decoding: answer.body, as: UTF8.self))")
        return try MoatJSON.decoder().decode(TunnelHealthHistory.self, from: answer.body)
    }

    @Test func theMatrixShowsTheWorstFreshEdgeOfEachLocation() async throws {
        let clock = TestClock(Self.t0)
        let core = try await TestCore.make(clock: clock)
        defer { core.remove() }
        try await core.run { api in
            let f = try await Self.fixture(api)
            let t0 = Self.t0
            try await Self.report(api, f.edges["ams1-a"], samples: [Self.sample(f.gre1, t0 - 10, sent: 20, lost: 0, rtt: (1, 2, 3), .healthy)])
            try await Self.report(api, f.edges["ams1-b"], samples: [Self.sample(f.gre1, t0 - 10, sent: 20, lost: 1, rtt: (1, 2, 3), .degraded)],
                                  events: [TunnelStateChange(tunnelID: f.gre1, at: t0 - 4, from: .healthy, to: .degraded)])
            // A tunnel deleted since the edge's last config is ignored, not an error.
            try await Self.report(api, f.edges["fra1-a"], samples: [Self.sample(f.gre1, t0 - 10, sent: 20, lost: 20, .down),
                                                                   Self.sample("tun_0000000000000000", t0 - 10, sent: 1, lost: 0, rtt: (1, 1, 1), .healthy)])

            var rows = try await Self.matrix(api, f)
            #expect(rows.map(\.name) == ["gre1", "gre2"])
            #expect(rows.map(\.tunnelID) == [f.gre1, f.gre2])
            #expect(rows.first?.locations == [
                TunnelLocationHealth(location: "ams1", state: .degraded, since: t0 - 4, edges: 2, lastReport: t0, stale: false),
                TunnelLocationHealth(location: "fra1", state: .down, since: t0 - 10, edges: 1, lastReport: t0, stale: false),
            ])
            #expect(rows.last?.locations == [], "no edge reports gre2")

            // 75 s later only ams1-a has reported again: ams1-b no longer counts, fra1 is stale.
            clock.advance(45)
            try await Self.report(api, f.edges["ams1-a"], samples: [Self.sample(f.gre1, t0 + 35, sent: 20, lost: 0, rtt: (1, 2, 3), .healthy)])
            clock.advance(30)
            rows = try await Self.matrix(api, f)
            #expect(rows.first?.locations == [
                TunnelLocationHealth(location: "ams1", state: .healthy, since: t0 - 10, edges: 1, lastReport: t0 + 45, stale: false),
                TunnelLocationHealth(location: "fra1", state: .down, since: t0 - 10, edges: 1, lastReport: t0, stale: true),
            ])

            // The JSON is what the API documents.
            let raw = try await api.call(.get, "\(f.base)/health").items.first?["locations"] as? [[String: Any]]
            #expect(raw?.last?["stale"] as? Bool == true)
            #expect(raw?.last?["last_report"] as? String == "2026-11-23T12:00:00.000Z")
            #expect(raw?.first?["since"] as? String == "2026-11-23T11:59:50.000Z")

            // Another account sees neither the matrix nor the history; its own matrix is empty.
            let other = try await api.create("/v1/accounts", #"{"name":"bravo"}"#)
            let otherToken = try await api.token(account: other, scope: "read")
            #expect(try await api.call(.get, "\(f.base)/health", as: .token(otherToken)).status == 404)
            #expect(try await api.call(.get, "\(f.base)/\(f.gre1)/health", as: .token(otherToken)).status == 404)
            #expect(try await api.call(.get, "/v1/accounts/\(other)/tunnels/\(f.gre1)/health", as: .token(otherToken)).status == 404)
            let own = try await api.call(.get, "/v1/accounts/\(other)/tunnels/health", as: .token(otherToken))
            #expect(own.status == 200)
            #expect(own.items.isEmpty)
            // The account's read token sees it.
            let readToken = try await api.token(account: f.account, scope: "read")
            #expect(try await Self.matrix(api, f, as: .token(readToken)).count == 2)
        }
    }

    @Test func aReportOfStateChangesAloneKeepsTheRuleCounters() async throws {
        let core = try await TestCore.make(clock: TestClock(Self.t0))
        defer { core.remove() }
        try await core.run { api in
            let f = try await Self.fixture(api)
            let rule = try await api.create("/v1/accounts/\(f.account)/firewall/rules", #"{"expression":"tcp.dstport == 22","action":"block"}"#)
            let hits = try await api.call(.post, "/v1/edge/telemetry", as: .token(f.edges["ams1-a"]!), json: #"{"rule_hits":{"\#(rule)":5}}"#)
            #expect(hits.status == 204)
            try await Self.report(api, f.edges["ams1-a"], events: [TunnelStateChange(tunnelID: f.gre1, at: Self.t0, from: .healthy, to: .down)])
            let listed = try await api.call(.get, "/v1/accounts/\(f.account)/firewall/rules/\(rule)")
            #expect(listed.json["hits"] as? [String: Int] == ["ams1": 5])
            #expect(try await Self.matrix(api, f).first?.locations.first?.state == .down)
        }
    }

    @Test func theHistoryRollsUpPerMinuteAndPerStep() async throws {
        let clock = TestClock(Self.t0 + 300)
        let core = try await TestCore.make(clock: clock)
        defer { core.remove() }
        try await core.run { api in
            let f = try await Self.fixture(api)
            let m = Self.t0
            let ams1a = [Self.sample(f.gre1, m, sent: 10, lost: 1, rtt: (1, 2, 3), .healthy),
                         Self.sample(f.gre1, m + 10, sent: 10, lost: 9, rtt: (0.5, 0.5, 0.5), .healthy),
                         Self.sample(f.gre1, m + 60, sent: 10, lost: 0, rtt: (1, 1, 1), .healthy)]
            try await Self.report(api, f.edges["ams1-a"], samples: ams1a)
            try await Self.report(api, f.edges["ams1-b"], samples: [Self.sample(f.gre1, m + 20, sent: 20, lost: 0, rtt: (4, 5, 6), .degraded)])
            try await Self.report(api, f.edges["fra1-a"], samples: [Self.sample(f.gre1, m, sent: 10, lost: 10, .down)],
                                  events: [TunnelStateChange(tunnelID: f.gre1, at: m + 125, from: .healthy, to: .down)])
            // An edge resending a report after a timeout is not counted twice.
            try await Self.report(api, f.edges["ams1-a"], samples: ams1a)

            let minutes = try await Self.history(api, f, f.gre1, "?from=2026-11-23T12:00:00Z&to=2026-11-23T12:03:00Z&step=60")
            #expect(minutes.tunnelID == f.gre1)
            #expect(minutes.from == m)
            #expect(minutes.to == m + 180)
            #expect(minutes.step == 60)
            #expect(minutes.locations.map(\.location) == ["ams1", "fra1"])
            let ams1 = minutes.locations[0].points
            #expect(ams1.map(\.at) == [m, m + 60])
            // 12:00 from two edges: 10 + 10 + 20 sent, 1 + 9 + 0 lost; the average is weighted by
            // answered probes: (2·9 + 0.5·1 + 5·20) / 30.
            let first = try #require(ams1.first)
            #expect((first.sent, first.lost, first.loss, first.state) == (40, 10, 0.25, TunnelState.degraded))
            #expect((first.rttMin, first.rttMax) == (0.5, 6))
            #expect(abs((first.rttAvg ?? 0) - 118.5 / 30) < 1e-9)
            #expect(ams1.last == TunnelHealthPoint(at: m + 60, sent: 10, lost: 0, loss: 0, rttMin: 1, rttAvg: 1, rttMax: 1, state: .healthy))
            // A minute with only a state change has its state and no probes.
            #expect(minutes.locations[1].points == [
                TunnelHealthPoint(at: m, sent: 10, lost: 10, loss: 1, rttMin: nil, rttAvg: nil, rttMax: nil, state: .down),
                TunnelHealthPoint(at: m + 120, sent: 0, lost: 0, loss: nil, rttMin: nil, rttAvg: nil, rttMax: nil, state: .down),
            ])

            // Two-minute steps merge minutes with the same arithmetic.
            let wide = try await Self.history(api, f, f.gre1, "?from=2026-11-23T12:00:00Z&to=2026-11-23T12:04:00Z&step=120")
            let merged = try #require(wide.locations.first?.points.first)
            #expect((merged.at, merged.sent, merged.lost, merged.state) == (m, 50, 10, TunnelState.degraded))
            #expect(abs((merged.rttAvg ?? 0) - 128.5 / 40) < 1e-9)
            #expect(wide.locations.last?.points.map(\.at) == [m, m + 120])

            // Steps under a minute read the raw summaries, one bucket each here.
            let raw = try await Self.history(api, f, f.gre1, "?from=2026-11-23T12:00:00Z&to=2026-11-23T12:02:00Z&step=10")
            #expect(raw.locations.first?.points.map(\.at) == [m, m + 10, m + 20, m + 60])
            #expect(raw.locations.first?.points.map(\.sent) == [10, 10, 20, 10])
            #expect(raw.locations.last?.points.map(\.state) == [.down])

            // The default range is the last hour, in minutes; from is rounded down to the step.
            let recent = try await Self.history(api, f, f.gre1, "")
            #expect(recent.step == 60)
            #expect(recent.to == m + 300)
            #expect(recent.from == m + 300 - 3600)
            #expect(recent.locations.first?.points.count == 2)
            let offset = try await Self.history(api, f, f.gre1, "?from=2026-11-23T13:00:45%2B01:00&to=2026-11-23T12:01:00Z")
            #expect(offset.from == m)
            #expect(offset.locations.first?.points.map(\.at) == [m])

            // Another tunnel has no history.
            #expect(try await Self.history(api, f, f.gre2, "").locations.isEmpty)
        }
    }

    @Test func badHistoryQueriesNameTheParameter() async throws {
        let core = try await TestCore.make(clock: TestClock(Self.t0))
        defer { core.remove() }
        try await core.run { api in
            let f = try await Self.fixture(api)
            let cases: [(query: String, field: String)] = [
                ("from=yesterday", "from"),
                ("from=2026-11-23", "from"),
                ("to=2026-13-01T00:00:00Z", "to"),
                ("step=abc", "step"),
                ("step=5", "step"),
                ("step=90", "step"),
                ("step=0", "step"),
                ("from=2026-11-23T12:01:00Z&to=2026-11-23T12:00:00Z", "from"),
                ("from=2026-10-23T11:59:59Z&to=2026-11-23T12:00:00Z", "from"),
                ("from=2026-11-21T12:00:00Z&to=2026-11-21T13:00:00Z&step=10", "step"),
            ]
            for (query, field) in cases {
                let answer = try await api.call(.get, "\(f.base)/\(f.gre1)/health?\(query)")
                #expect(answer.status == 400, "\(query)")
                #expect(answer.errorField == field, "\(query): \(answer.json)")
            }
            // Exactly 30 days is allowed; so are raw steps inside the last day.
            #expect(try await api.call(.get, "\(f.base)/\(f.gre1)/health?from=2026-10-24T12:00:00Z&to=2026-11-23T12:00:00Z&step=3600").status == 200)
            #expect(try await api.call(.get, "\(f.base)/\(f.gre1)/health?from=2026-11-23T11:00:00Z&step=30").status == 200)
            let missing = try await api.call(.get, "\(f.base)/tun_0000000000000000/health")
            #expect(missing.status == 404)
            #expect(missing.errorCode == "not_found")
        }
    }
}
