import Foundation
import HTTPTypes
import MoatCore
import MoatModel
import Testing

/// What edges may send about tunnels, and how long core keeps it.
@Suite struct TunnelHealthIngestTests {
    typealias Health = TunnelHealthAPITests
    static let good = #"{"tunnel_id":"tun_1","start":"2026-11-23T11:59:50Z","end":"2026-11-23T12:00:00Z","sent":10,"lost":1,"rtt_min_ms":1,"rtt_avg_ms":2,"rtt_max_ms":3,"state":"healthy"}"#

    /// `good` with some fields replaced (or removed, with nil).
    static func sample(_ changes: [String: Any?]) -> String {
        var object = try! JSONSerialization.jsonObject(with: Data(good.utf8)) as! [String: Any]
        for (key, value) in changes { object[key] = value }
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test func everyFieldIsCheckedAndNamedByItsPlace() async throws {
        let core = try await TestCore.make(clock: TestClock(Health.t0))
        defer { core.remove() }
        try await core.run { api in
            let f = try await Health.fixture(api)
            let event = #"{"tunnel_id":"tun_1","at":"2026-11-23T12:00:00Z","from":"healthy","to":"down"}"#
            let manyEvents = "[" + Array(repeating: event, count: 10_001).joined(separator: ",") + "]"
            let cases: [(body: String, code: String, field: String)] = [
                (#"{"tunnel_health":{}}"#, "invalid_type", "tunnel_health"),
                (#"{"tunnel_health":[1]}"#, "invalid_type", "tunnel_health[0]"),
                (#"{"tunnel_health":[\#(Self.good),\#(Self.sample(["sent": -1]))]}"#, "out_of_range", "tunnel_health[1].sent"),
                (#"{"tunnel_health":[\#(Self.sample(["sent": "3"]))]}"#, "invalid_type", "tunnel_health[0].sent"),
                (#"{"tunnel_health":[\#(Self.sample(["lost": 1.5]))]}"#, "invalid_type", "tunnel_health[0].lost"),
                (#"{"tunnel_health":[\#(Self.sample(["end": nil]))]}"#, "missing_field", "tunnel_health[0].end"),
                (#"{"tunnel_health":[\#(Self.sample(["tunnel_id": nil]))]}"#, "missing_field", "tunnel_health[0].tunnel_id"),
                (#"{"tunnel_health":[\#(Self.sample(["start": "yesterday"]))]}"#, "invalid_value", "tunnel_health[0].start"),
                (#"{"tunnel_health":[\#(Self.sample(["start": "2026-11-23T12:00:01Z"]))]}"#, "invalid_value", "tunnel_health[0].end"),
                (#"{"tunnel_health":[\#(Self.sample(["start": "2026-11-23T10:00:00Z"]))]}"#, "out_of_range", "tunnel_health[0].end"),
                (#"{"tunnel_health":[\#(Self.sample(["end": "2026-11-23T12:10:00Z"]))]}"#, "out_of_range", "tunnel_health[0].end"),
                (#"{"tunnel_health":[\#(Self.sample(["state": "sick"]))]}"#, "invalid_value", "tunnel_health[0].state"),
                (#"{"tunnel_health":[\#(Self.sample(["colour": "red"]))]}"#, "unknown_field", "tunnel_health[0].colour"),
                (#"{"tunnel_health":[\#(Self.sample(["rtt_avg_ms": nil]))]}"#, "missing_field", "tunnel_health[0].rtt_avg_ms"),
                (#"{"tunnel_health":[\#(Self.sample(["rtt_avg_ms": 4]))]}"#, "invalid_value", "tunnel_health[0].rtt_avg_ms"),
                (#"{"tunnel_health":[\#(Self.sample(["rtt_max_ms": 0.5]))]}"#, "invalid_value", "tunnel_health[0].rtt_max_ms"),
                (#"{"tunnel_health":[\#(Self.sample(["rtt_min_ms": -1]))]}"#, "out_of_range", "tunnel_health[0].rtt_min_ms"),
                (#"{"tunnel_events":[{"tunnel_id":"tun_1","at":"2026-11-23T12:00:00Z","from":"healthy"}]}"#, "missing_field", "tunnel_events[0].to"),
                (#"{"tunnel_events":[\#(event),{"tunnel_id":"tun_1","at":"2026-11-23T12:00:00Z","from":"healthy","to":"broken"}]}"#, "invalid_value", "tunnel_events[1].to"),
                (#"{"tunnel_events":[{"tunnel_id":"tun_1","at":12,"from":"healthy","to":"down"}]}"#, "invalid_type", "tunnel_events[0].at"),
                (#"{"tunnel_events":\#(manyEvents)}"#, "out_of_range", "tunnel_events"),
                (#"{"tunnel_heath":[]}"#, "unknown_field", "tunnel_heath"),
            ]
            for (body, code, field) in cases {
                let answer = try await api.call(.post, "/v1/edge/telemetry", as: .token(f.edges["ams1-a"]!), json: body.replacingOccurrences(of: "tun_1", with: f.gre1))
                #expect(answer.status == 400, "\(field)")
                #expect(answer.errorCode == code, "\(field): \(answer.json)")
                #expect(answer.errorField == field, "\(field): \(answer.json)")
            }
            // Nothing of a refused report is kept, not even its valid parts.
            #expect(try await Health.matrix(api, f).allSatisfy { $0.locations.isEmpty })
            // The good sample is taken; a sample without round-trip times too.
            let noAnswer = Self.sample(["rtt_min_ms": nil, "rtt_avg_ms": nil, "rtt_max_ms": nil, "lost": 10, "state": "down",
                                        "start": "2026-11-23T12:00:00Z", "end": "2026-11-23T12:00:10Z"])
            let fine = #"{"tunnel_health":[\#(Self.good),\#(noAnswer)]}"#
            let accepted = try await api.call(.post, "/v1/edge/telemetry", as: .token(f.edges["ams1-a"]!), json: fine.replacingOccurrences(of: "tun_1", with: f.gre1))
            #expect(accepted.status == 204)
            #expect(try await Health.matrix(api, f).first?.locations.first?.state == .down)
            // Only edges report.
            #expect(try await api.call(.post, "/v1/edge/telemetry", json: fine).status == 403)
        }
    }

    @Test func oldRowsAreDeletedAtMostOnceAMinute() async throws {
        let t0 = Health.t0
        let clock = TestClock(t0)
        let core = try await TestCore.make(clock: clock)
        defer { core.remove() }
        let store = try #require(core.server.store as? SQLiteStore)
        @Sendable func counts() async throws -> [Int] {
            let counted = try await store.tunnelHealthRowCounts()
            return [counted.samples, counted.minutes, counted.current]
        }
        try await core.run { api in
            let f = try await Health.fixture(api)
            /// A summary of the 10 s before now.
            func report(_ edge: String) async throws {
                try await Health.report(api, f.edges[edge], samples: [Health.sample(f.gre1, clock.now - 10, sent: 10, lost: 0, .healthy)])
            }
            try await report("ams1-a")
            try await report("fra1-a")
            #expect(try await counts() == [2, 2, 2])

            clock.advance(24 * 3600 - 30)
            try await report("ams1-a")
            #expect(try await counts() == [3, 3, 2], "nothing is a day old yet")

            clock.advance(40)
            try await report("ams1-a")
            #expect(try await counts() == [4, 4, 2], "the first two samples are a day old, but the last pruning was 40 s ago")

            clock.advance(21)
            try await report("ams1-a")
            // The two first samples are gone; the last two share a minute. Their minutes and the
            // edges' last words stay.
            #expect(try await counts() == [3, 4, 2])

            clock.advance(30 * 24 * 3600 - 24 * 3600 + 3600)
            try await report("ams1-a")
            // A month on: yesterday's samples are gone, the first day's minutes too, and fra1-a,
            // silent for 30 days, has no last word any more.
            #expect(try await counts() == [1, 3, 1])
            #expect(try await Health.matrix(api, f).first?.locations.map(\.location) == ["ams1"])
            let month = try await Health.history(api, f, f.gre1, "?from=\(RFC3339.string(clock.now - 30 * 24 * 3600))&step=86400")
            #expect(month.locations.map(\.location) == ["ams1"])
            #expect(month.locations.first?.points.map(\.sent) == [30, 10])

            // Deleting the tunnel deletes its health.
            #expect(try await api.call(.delete, "\(f.base)/\(f.gre1)").status == 204)
            #expect(try await counts() == [0, 0, 0])
        }
    }
}
