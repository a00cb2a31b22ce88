import Foundation
import HTTPTypes
import MoatCore
import MoatModel
import NIOCore
import Testing

/// The operator's ROA and IRR data through the API, and how prefix onboarding, origin changes
/// and approval follow it.
@Suite struct OriginValidationAPITests {
    static let roas = """
    prefix,max_length,asn
    203.0.113.0/24,24,AS64500
    198.51.100.0/22,23,AS64500
    2001:db8::/32,48,AS64500
    """

    static let rpsl = """
    route:   203.0.113.0/24
    origin:  AS64500
    source:  RIPE

    route:   198.51.100.0/22
    origin:  AS64500
    """

    static func load(_ api: API, _ kind: String, _ text: String, as caller: API.As = .op) async throws -> Answer {
        try await api.call(.put, "/v1/origin-validation/\(kind)", as: caller, raw: ByteBuffer(string: text),
                           contentType: kind == "roas" ? "text/csv" : "text/plain")
    }

    static func text(_ answer: Answer) -> String { String(decoding: answer.body, as: UTF8.self) }

    @Test func onboardingFollowsTheROAs() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let write = try await api.token(account: account, scope: "write")
            let prefixes = "/v1/accounts/\(account)/prefixes"

            let loaded = try await Self.load(api, "roas", Self.roas)
            #expect(loaded.status == 200, "\(Self.text(loaded))")
            #expect(loaded.json["entries"] as? Int == 3)
            #expect(loaded.json["ipv6"] as? Int == 1)
            #expect(loaded.version != nil)

            #expect(try await api.call(.post, prefixes, as: .token(write), json: #"{"cidr":"203.0.113.0/24","origin_asn":64500}"#).status == 201)
            #expect(try await api.call(.post, prefixes, as: .token(write), json: #"{"cidr":"2001:db8:1::/48","origin_asn":64500}"#).status == 201)

            let wrongAS = try await api.call(.post, prefixes, as: .token(write), json: #"{"cidr":"198.51.100.0/23","origin_asn":64501}"#)
            #expect(wrongAS.status == 422)
            #expect(wrongAS.errorCode == "origin_invalid")
            #expect(wrongAS.errorField == "origin_asn")
            #expect((wrongAS.error["message"] as? String)?.contains("ROA 198.51.100.0/22 max /23 authorises AS64500, not AS64501") == true, "\(wrongAS.json)")

            let tooLong = try await api.call(.post, prefixes, as: .token(write), json: #"{"cidr":"198.51.100.0/24","origin_asn":64500}"#)
            #expect(tooLong.status == 422)
            #expect((tooLong.error["message"] as? String)?.contains("/24 is longer than the ROA's max length /23") == true, "\(tooLong.json)")

            let noOrigin = try await api.call(.post, prefixes, as: .token(write), json: #"{"cidr":"198.51.100.0/23"}"#)
            #expect(noOrigin.status == 422)
            #expect((noOrigin.error["message"] as? String)?.contains("set origin_asn") == true, "\(noOrigin.json)")

            // Nothing covers it: RPKI "not found" is accepted, pending approval.
            #expect(try await api.call(.post, prefixes, as: .token(write), json: #"{"cidr":"192.0.2.0/24"}"#).status == 201)

            let stored = try await api.call(.get, prefixes, as: .token(write)).items.compactMap { $0["cidr"] as? String }
            #expect(Set(stored) == ["203.0.113.0/24", "2001:db8:1::/48", "192.0.2.0/24"])

            let audit = try await api.call(.get, "/v1/audit").items
            let record = audit.first { $0["action"] as? String == "origin_validation.roas.load" }
            #expect(record?["summary"] as? String == "3 ROAs (2 IPv4, 1 IPv6)")
            #expect((record?["actor"] as? String)?.hasPrefix("operator") == true, "\(String(describing: record))")
        }
    }

    @Test func approvalAndOriginChangesAreCheckedAgainstTheDataOfTheMoment() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let write = try await api.token(account: account, scope: "write")
            let prefixes = "/v1/accounts/\(account)/prefixes"
            let id = try await api.create(prefixes, #"{"cidr":"203.0.113.0/24","origin_asn":64501}"#, as: .token(write))
            let approved = try await api.create(prefixes, #"{"cidr":"2001:db8:1::/48","origin_asn":64500}"#, as: .token(write))
            #expect(try await api.call(.patch, "\(prefixes)/\(approved)", json: #"{"status":"approved"}"#).status == 200)

            // The load answers the onboarded prefixes the new data refuses.
            let loaded = try await Self.load(api, "roas", Self.roas)
            let invalid = loaded.json["invalid_prefixes"] as? [[String: Any]] ?? []
            #expect(invalid.map { $0["prefix_id"] as? String } == [id], "\(loaded.json)")
            #expect((invalid.first?["reason"] as? String)?.contains("not AS64501") == true)

            let approval = try await api.call(.patch, "\(prefixes)/\(id)", json: #"{"status":"approved"}"#)
            #expect(approval.status == 422, "\(Self.text(approval))")
            #expect(approval.errorCode == "origin_invalid")
            #expect(try await api.call(.get, "\(prefixes)/\(id)").json["status"] as? String == "pending")

            // An approved prefix cannot move to an origin the ROAs do not authorise.
            let move = try await api.call(.patch, "\(prefixes)/\(approved)", as: .token(write), json: #"{"origin_asn":64501}"#)
            #expect(move.status == 422)
            #expect(try await api.call(.get, "\(prefixes)/\(approved)").json["origin_asn"] as? Int == 64500)
            // Changes that leave the origin alone are not checked.
            #expect(try await api.call(.patch, "\(prefixes)/\(approved)", as: .token(write), json: #"{"description":"web"}"#).status == 200)

            #expect(try await api.call(.patch, "\(prefixes)/\(id)", as: .token(write), json: #"{"origin_asn":64500}"#).status == 200)
            #expect(try await api.call(.patch, "\(prefixes)/\(id)", json: #"{"status":"approved"}"#).status == 200)
        }
    }

    @Test func irrDataNeedsARouteObjectForThePrefix() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let prefixes = "/v1/accounts/\(account)/prefixes"
            let loaded = try await Self.load(api, "irr", Self.rpsl)
            #expect(loaded.status == 200, "\(Self.text(loaded))")
            #expect(loaded.json["entries"] as? Int == 2)

            #expect(try await api.call(.post, prefixes, json: #"{"cidr":"203.0.113.0/24","origin_asn":64500}"#).status == 201)
            let covered = try await api.call(.post, prefixes, json: #"{"cidr":"198.51.100.0/24","origin_asn":64500}"#)
            #expect(covered.status == 422)
            #expect((covered.error["message"] as? String)?.contains("no route object for 198.51.100.0/24 itself") == true, "\(covered.json)")
            let unknown = try await api.call(.post, prefixes, json: #"{"cidr":"192.0.2.0/24","origin_asn":64500}"#)
            #expect(unknown.status == 422)

            let status = try await api.call(.get, "/v1/origin-validation")
            #expect((status.json["irr"] as? [String: Any])?["entries"] as? Int == 2)
            #expect(status.json["roas"] == nil)

            // Cleared, the IRR no longer refuses anything.
            #expect(try await api.call(.delete, "/v1/origin-validation/irr").status == 204)
            #expect(try await api.call(.delete, "/v1/origin-validation/irr").status == 404)
            #expect(try await api.call(.get, "/v1/origin-validation").json["irr"] == nil)
            #expect(try await api.call(.post, prefixes, json: #"{"cidr":"192.0.2.0/24","origin_asn":64500}"#).status == 201)
        }
    }

    @Test func badDataIsRefusedByLineAndTheOldDataStays() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let prefixes = "/v1/accounts/\(account)/prefixes"
            #expect(try await Self.load(api, "roas", Self.roas).status == 200)
            let before = try await api.call(.get, "/v1/origin-validation").json["roas"] as? [String: Any]

            let bad = try await Self.load(api, "roas", "prefix,max_length,asn\n192.0.2.0/24,24,AS64501\n192.0.2.0/24,20,AS64501\n")
            #expect(bad.status == 400)
            #expect(bad.errorCode == "invalid_roas")
            #expect(bad.error["message"] as? String == "line 3: max length 20 is shorter than the prefix /24")
            let badRPSL = try await Self.load(api, "irr", "route: 192.0.2.0/24\n")
            #expect(badRPSL.status == 400)
            #expect(badRPSL.error["message"] as? String == "line 1: route 192.0.2.0/24 has no origin: attribute")

            let after = try await api.call(.get, "/v1/origin-validation").json
            #expect(after["irr"] == nil)
            #expect((after["roas"] as? [String: Any])?["loaded_at"] as? String == before?["loaded_at"] as? String)
            #expect((after["roas"] as? [String: Any])?["entries"] as? Int == 3)
            // The old ROAs still decide.
            #expect(try await api.call(.post, prefixes, json: #"{"cidr":"203.0.113.0/24","origin_asn":64501}"#).status == 422)
            #expect(try await api.call(.post, prefixes, json: #"{"cidr":"192.0.2.0/24","origin_asn":64501}"#).status == 201)

            let json = try await api.call(.put, "/v1/origin-validation/roas", json: #"{"roas":[]}"#, contentType: "application/json")
            #expect(json.status == 415)
        }
    }

    @Test func onlyTheOperatorTouchesOriginData() async throws {
        let core = try await TestCore.make()
        defer { core.remove() }
        try await core.run { api in
            let account = try await api.create("/v1/accounts", #"{"name":"alpha"}"#)
            let write = try await api.token(account: account, scope: "write")
            let version = try await api.call(.get, "/v1/health", as: .none).json["version"] as? Int
            #expect(try await Self.load(api, "roas", Self.roas, as: .token(write)).status == 403)
            #expect(try await Self.load(api, "irr", Self.rpsl, as: .token(write)).status == 403)
            #expect(try await Self.load(api, "roas", Self.roas, as: .none).status == 401)
            #expect(try await api.call(.get, "/v1/origin-validation", as: .token(write)).status == 403)
            #expect(try await api.call(.delete, "/v1/origin-validation/roas", as: .token(write)).status == 403)
            #expect(try await api.call(.get, "/v1/health", as: .none).json["version"] as? Int == version)
            let status = try await api.call(.get, "/v1/origin-validation").json
            #expect(status["roas"] == nil && status["irr"] == nil)
            // With nothing loaded, nothing is checked.
            #expect(try await api.call(.post, "/v1/accounts/\(account)/prefixes", as: .token(write), json: #"{"cidr":"203.0.113.0/24"}"#).status == 201)
        }
    }
}
