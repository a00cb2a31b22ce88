import Foundation
import HTTPTypes
import MoatCore
import MoatModel
import Testing

/// `/v1/ddos`, `/v1/accounts/{account}/ddos` and `/v1/accounts/{account}/attacks`: settings
/// that reach the edges, attack events edges report, the operator's pin and lift.
@Suite struct DDoSAPITests {
    static func attack(_ id: String, account: String, status: String = "active", mitigation: String = "active") -> String {
        #"{"attacks":[{"id":"\#(id)","account_id":"\#(account)","target":"203.0.113.10","prefix":"203.0.113.0/24","status":"\#(status)","#
            + #""started_at":"2026-11-23T10:00:00.250Z","mitigated_at":"2026-11-23T10:00:00.400Z","peak_packets_per_second":50000,"#
            + #""peak_bits_per_second":16000000,"packets_dropped":123456,"mitigation":"\#(mitigation)","#
            + #""fingerprint":{"target":"203.0.113.10","protocol":17,"source_port":123,"length_min":468,"length_max":468,"fragments":false,"#
            + #""source_prefixes":[],"attack_coverage":0.98,"baseline_coverage":0,"nft":"ip daddr 203.0.113.10 meta l4proto 17 udp sport 123 ip length 468"}}]}"#
    }

    @Test func settingsReachTheEdgesWithTheAccountsOverrides() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let edge = try await ConfigSyncTests.enrolledEdge(api)
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let prefix = try await api.create("/v1/accounts/\(account)/prefixes", #"{"cidr":"203.0.113.0/24"}"#)
            #expect(try await api.call(.patch, "/v1/accounts/\(account)/prefixes/\(prefix)", json: #"{"status":"approved"}"#).status == 200)

            // Defaults until set; a PUT keeps the defaults of what it leaves out.
            let defaults = try await api.call(.get, "/v1/ddos")
            #expect(defaults.json["sample_rate"] as? Int == 100)
            let set = try await api.call(.put, "/v1/ddos", json: #"{"sample_rate":64,"detection":{"packets_per_second":5000},"mitigation":{"cooldown":30}}"#)
            #expect(set.status == 200)
            #expect((set.json["managed"] as? [String: Any])?["drop_invalid"] as? Bool == false, "off unless both directions pass the edge")
            #expect((set.json["managed"] as? [String: Any])?["drop_bad_tcp_flags"] as? Bool == true)
            #expect((set.json["detection"] as? [String: Any])?["bits_per_second"] as? Int == 1_000_000_000)

            let own = try await api.call(.put, "/v1/accounts/\(account)/ddos", json: #"""
                {"managed":{"fragments":"drop","udp_per_source":10000},"thresholds":[{"prefix":"203.0.113.128/25","packets_per_second":800}],
                 "synproxy":[{"prefix":"203.0.113.10/32","ports":[443,80,80]}],"automatic_mitigation":false}
                """#)
            #expect(own.status == 200, "\(String(decoding: own.body, as: UTF8.self))")

            let sync = try await api.call(.get, "/v1/edge/sync?version=0&wait=0", as: .token(edge))
            let config = try MoatJSON.decoder().decode(EdgeConfig.self, from: sync.body)
            #expect(config.ddos.settings.sampleRate == 64 && config.ddos.settings.mitigation.cooldown == 30)
            let effective = try #require(config.ddos.accounts.first { $0.accountID == account })
            #expect(effective.managed.fragments == .drop && effective.managed.udpPerSource == 10_000)
            #expect(effective.managed.dropBadTCPFlags && effective.managed.synPerSource == 2_000, "fields the account leaves out keep the operator's value")
            #expect(effective.detection.packetsPerSecond == 5_000)
            #expect(effective.thresholds.first?.threshold.packetsPerSecond == 800)
            #expect(effective.synproxy == [ProtectedService(prefix: CIDR("203.0.113.10/32")!, ports: [80, 443])])
            #expect(!effective.automaticMitigation)
        }
    }

    @Test func badSettingsAreRefusedWithTheFieldAndChangeNothing() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            _ = try await api.create("/v1/accounts/\(account)/prefixes", #"{"cidr":"203.0.113.0/24"}"#)
            let operatorCases: [(String, String)] = [
                (#"{"sample_rate":0}"#, "sample_rate"),
                (#"{"sample_rate":70000}"#, "sample_rate"),
                (#"{"samplerate":10}"#, "samplerate"),
                (#"{"managed":{"fragments":"maybe"}}"#, "managed.fragments"),
                (#"{"managed":{"amplification_ports":[123,0]}}"#, "managed.amplification_ports[1]"),
                (#"{"detection":{"packets_per_second":null,"bits_per_second":null}}"#, "detection.packets_per_second"),
                (#"{"mitigation":{"cooldown":0}}"#, "mitigation.cooldown"),
            ]
            for (body, field) in operatorCases {
                let answer = try await api.call(.put, "/v1/ddos", json: body)
                #expect(answer.status == 400 && answer.errorField == field, "\(body) → \(answer.status) \(answer.error)")
            }
            let accountCases: [(String, Int, String)] = [
                (#"{"thresholds":[{"prefix":"198.51.100.0/24","packets_per_second":10}]}"#, 422, "thresholds[0].prefix"),
                (#"{"synproxy":[{"prefix":"203.0.113.10/32"}]}"#, 400, "synproxy[0].ports"),
                (#"{"synproxy":[{"prefix":"203.0.113.10/32","ports":[70000]}]}"#, 400, "synproxy[0].ports[0]"),
                (#"{"managed":{"syn_per_source":-1}}"#, 400, "managed.syn_per_source"),
            ]
            for (body, status, field) in accountCases {
                let answer = try await api.call(.put, "/v1/accounts/\(account)/ddos", json: body)
                #expect(answer.status == status && answer.errorField == field, "\(body) → \(answer.status) \(answer.error)")
            }
            #expect(try await api.call(.get, "/v1/ddos").json["sample_rate"] as? Int == 100)
            let unchanged = try await api.call(.get, "/v1/accounts/\(account)/ddos")
            #expect((unchanged.json["thresholds"] as? [Any] ?? []).isEmpty)

            // An account's own token may set its overrides, never the operator's settings.
            let token = try await api.token(account: account, scope: "write")
            #expect(try await api.call(.put, "/v1/ddos", as: .token(token), json: "{}").status == 403)
            #expect(try await api.call(.put, "/v1/accounts/\(account)/ddos", as: .token(token), json: #"{"automatic_mitigation":false}"#).status == 200)
        }
    }

    @Test func edgesReportAttacksAndTheOperatorPinsAndLifts() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let edge = try await ConfigSyncTests.enrolledEdge(api)
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let other = try await api.create("/v1/accounts", #"{"name":"beta"}"#)
            let prefix = try await api.create("/v1/accounts/\(account)/prefixes", #"{"cidr":"203.0.113.0/24"}"#)
            #expect(try await api.call(.patch, "/v1/accounts/\(account)/prefixes/\(prefix)", json: #"{"status":"approved"}"#).status == 200)
            let id = "atk_00000000000000a1"
            #expect(try await api.call(.post, "/v1/edge/telemetry", as: .token(edge), json: Self.attack(id, account: account)).status == 204)
            let bad = try await api.call(.post, "/v1/edge/telemetry", as: .token(edge), json: Self.attack("attack-1", account: account))
            #expect(bad.status == 400 && bad.errorField == "attacks[0].id")

            let list = try await api.call(.get, "/v1/accounts/\(account)/attacks?status=active")
            let attacks = list.json["attacks"] as? [[String: Any]] ?? []
            #expect(attacks.count == 1)
            #expect(attacks.first?["location"] as? String == "ams1" && attacks.first?["packets_dropped"] as? Int == 123_456)
            #expect(try await api.call(.get, "/v1/accounts/\(account)/attacks?status=maybe").errorField == "status")
            #expect(try await api.call(.get, "/v1/accounts/\(other)/attacks/\(id)").status == 404, "another account's attack is not there")

            // Pin: operator only; the edges get it with their config.
            let token = try await api.token(account: account, scope: "write")
            #expect(try await api.call(.patch, "/v1/accounts/\(account)/attacks/\(id)", as: .token(token), json: #"{"mitigation":"pinned"}"#).status == 403)
            #expect(try await api.call(.patch, "/v1/accounts/\(account)/attacks/\(id)", json: #"{"mitigation":"expired"}"#).errorField == "mitigation")
            let pinned = try await api.call(.patch, "/v1/accounts/\(account)/attacks/\(id)", json: #"{"mitigation":"pinned"}"#)
            #expect(pinned.status == 200 && pinned.json["mitigation"] as? String == "pinned")
            var sync = try await api.call(.get, "/v1/edge/sync?version=0&wait=0", as: .token(edge))
            var config = try MoatJSON.decoder().decode(EdgeConfig.self, from: sync.body)
            #expect(config.ddos.overrides.map(\.action) == [.pin] && config.ddos.overrides.first?.fingerprint.sourcePort == 123)
            // A later report of the edge keeps showing the pin.
            #expect(try await api.call(.post, "/v1/edge/telemetry", as: .token(edge), json: Self.attack(id, account: account, status: "ended")).status == 204)
            #expect(try await api.call(.get, "/v1/accounts/\(account)/attacks/\(id)").json["mitigation"] as? String == "pinned")

            let lifted = try await api.call(.patch, "/v1/accounts/\(account)/attacks/\(id)", json: #"{"mitigation":"lifted"}"#)
            #expect(lifted.json["mitigation"] as? String == "lifted")
            sync = try await api.call(.get, "/v1/edge/sync?version=0&wait=0", as: .token(edge))
            config = try MoatJSON.decoder().decode(EdgeConfig.self, from: sync.body)
            #expect(config.ddos.overrides.map(\.action) == [.lift])
            #expect(try await api.call(.patch, "/v1/accounts/\(account)/attacks/\(id)", json: #"{"mitigation":"pinned"}"#).status == 409, "a lifted mitigation is not pinned again")
        }
    }
}

/// What each location's config says about attacks elsewhere.
@Suite struct DDoSConfigTests {
    static let fingerprint = AttackFingerprint(target: IPAddress("203.0.113.10")!, protocolNumber: 17, sourcePort: 123)

    static func stored(_ id: String, location: String, status: Attack.Status = .active, mitigation: Attack.Mitigation = .active,
                       override: MitigationOverride.Action? = nil) -> DDoSInputs.StoredAttack {
        var attack = Attack(id: id, accountID: "acc_1", target: fingerprint.target, prefix: nil, status: status,
                            startedAt: Date(timeIntervalSince1970: 1_000), fingerprint: fingerprint, mitigation: mitigation, location: location)
        if status == .ended { attack.endedAt = Date(timeIntervalSince1970: 2_000) }
        return DDoSInputs.StoredAttack(attack: attack, override: override)
    }

    @Test func mitigationsArePushedToOtherLocationsOnlyWhenAskedFor() {
        var settings = DDoSSettings()
        settings.mitigation.cooldown = 60
        let attacks = [Self.stored("atk_00000000000000a1", location: "ams1"),
                       Self.stored("atk_00000000000000a2", location: "ams1", status: .ended),
                       Self.stored("atk_00000000000000a3", location: "ams1", mitigation: .none),
                       Self.stored("atk_00000000000000a4", location: "fra1", override: .pin)]
        let quiet = DDoSInputs(settings: settings, attacks: attacks).config(for: "fra1", accounts: ["acc_1"])
        #expect(quiet.overrides.map(\.action) == [.pin], "without pushing only the operator's pins and lifts travel")

        settings.mitigation.pushToAllLocations = true
        let inputs = DDoSInputs(settings: settings, attacks: attacks)
        let fra = inputs.config(for: "fra1", accounts: ["acc_1"])
        #expect(fra.overrides.map(\.attackID) == ["atk_00000000000000a1", "atk_00000000000000a2", "atk_00000000000000a4"])
        #expect(fra.overrides[0].action == .push && fra.overrides[0].expiresAt == Date(timeIntervalSince1970: 1_000 + 86_400))
        #expect(fra.overrides[1].expiresAt == Date(timeIntervalSince1970: 2_060), "an ended attack's rule lasts its cool-down")
        let ams = inputs.config(for: "ams1", accounts: ["acc_1"])
        #expect(ams.overrides.map(\.attackID) == ["atk_00000000000000a4"], "a location does not get its own attacks back")
        #expect(inputs.config(for: "fra1", accounts: []).overrides.isEmpty, "only where the account is served")
    }
}
