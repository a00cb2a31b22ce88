import Foundation
import Hummingbird
import MoatModel

/// DDoS protection:
/// - `/v1/ddos` (operator): managed rules, sampling, detection thresholds and mitigation
///   behaviour for every account;
/// - `/v1/accounts/{account}/ddos`: the account's overrides, thresholds per prefix, SYN proxy;
/// - `/v1/accounts/{account}/attacks`: attack events from every edge; the operator pins or
///   lifts a mitigation (PATCH).
struct DDoSController {
    let store: any Store

    func register(on api: APIRouter) {
        api.on(.get, "/v1/ddos") { _, context in
            _ = try context.requireOperator()
            return try JSONResponse.make(try await store.ddosSettings())
        }
        api.on(.put, "/v1/ddos") { request, context in
            let principal = try context.requireOperator()
            let settings: DDoSSettings
            do { settings = try DDoSSettings(json: try await request.jsonBody()) } catch let error as ValidationError { throw APIError(error) }
            let written = try await store.setDDoSSettings(settings, actor: principal.actor)
            return try JSONResponse.make(written.value, version: written.version)
        }
        api.on(.get, "/v1/accounts/:account/ddos") { _, context in
            let account = try context.parameters.require("account")
            _ = try context.requireAccess(to: account, write: false)
            return try JSONResponse.make(try await store.ddosAccountSettings(accountID: account))
        }
        api.on(.put, "/v1/accounts/:account/ddos") { request, context in
            let account = try context.parameters.require("account")
            let principal = try context.requireAccess(to: account, write: true)
            let settings: DDoSAccountSettings
            do { settings = try DDoSAccountSettings(json: try await request.jsonBody()) } catch let error as ValidationError { throw APIError(error) }
            let written = try await store.setDDoSAccountSettings(accountID: account, settings, actor: principal.actor)
            return try JSONResponse.make(written.value, version: written.version)
        }
        api.on(.get, "/v1/accounts/:account/attacks") { request, context in
            let account = try context.parameters.require("account")
            _ = try context.requireAccess(to: account, write: false)
            var status: Attack.Status?
            if let text = request.uri.queryParameters.get("status") {
                guard let value = Attack.Status(rawValue: text) else {
                    throw APIError.invalid("status is 'active' or 'ended', got '\(text)'", field: "status")
                }
                status = value
            }
            var limit = 100
            if let text = request.uri.queryParameters.get("limit") {
                guard let value = Int(text), (1...1_000).contains(value) else { throw APIError.invalid("limit is 1-1000", field: "limit") }
                limit = value
            }
            return try JSONResponse.make(AttackList(attacks: try await store.attacks(accountID: account, status: status, limit: limit)))
        }
        api.on(.get, "/v1/accounts/:account/attacks/:attack") { _, context in
            let account = try context.parameters.require("account")
            _ = try context.requireAccess(to: account, write: false)
            return try JSONResponse.make(try await store.attack(accountID: account, id: try context.parameters.require("attack")))
        }
        // The operator pins a mitigation (kept until lifted) or lifts it: {"mitigation": "pinned" | "lifted"}.
        api.on(.patch, "/v1/accounts/:account/attacks/:attack") { request, context in
            let account = try context.parameters.require("account")
            let principal = try context.requireOperator(of: account)
            var reader = try ObjectReader(try await request.jsonBody())
            let action: MitigationOverride.Action
            do {
                guard let state = try reader.optionalEnum("mitigation", Attack.Mitigation.self) else { throw reader.missing("mitigation") }
                try reader.finish()
                switch state {
                case .pinned: action = .pin
                case .lifted: action = .lift
                default: throw ValidationError(.invalidValue, "an operator sets 'pinned' or 'lifted'", field: "mitigation")
                }
            } catch let error as ValidationError {
                throw APIError(error)
            }
            let written = try await store.overrideAttack(accountID: account, id: try context.parameters.require("attack"), action, actor: principal.actor)
            return try JSONResponse.make(written.value, version: written.version)
        }
    }
}

struct AttackList: Encodable {
    var attacks: [Attack]
}

/// The `attacks` of an edge's telemetry: the latest state of each attack it saw.
enum AttackInput {
    static let maxAttacks = 1_000

    static func attacks(_ reader: inout ObjectReader) throws -> [Attack] {
        guard let value = reader.raw("attacks") else { return [] }
        guard case .array(let items) = value, items.count <= maxAttacks else {
            throw APIError.invalid("expected an array of at most \(maxAttacks) attacks", field: "attacks")
        }
        let decoder = MoatJSON.decoder()
        let encoder = MoatJSON.encoder()
        var attacks: [Attack] = []
        for (index, item) in items.enumerated() {
            let attack: Attack
            do {
                attack = try decoder.decode(Attack.self, from: try encoder.encode(item))
            } catch {
                throw APIError.invalid("not an attack: \(error)", field: "attacks[\(index)]")
            }
            guard Attack.isValidID(attack.id) else { throw APIError.invalid("an attack id is atk_ and 16 hex digits", field: "attacks[\(index)].id") }
            attacks.append(attack)
        }
        return attacks
    }
}
