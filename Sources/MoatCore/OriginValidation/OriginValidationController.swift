import Foundation
import HTTPTypes
import Hummingbird
import MoatModel

/// `/v1/origin-validation`: the operator's ROA and IRR data. Where a source is loaded, a prefix
/// whose origin it does not authorise cannot be onboarded, moved to that origin or approved.
/// Operator only: accounts must not decide what proves their own address space.
struct OriginValidationController {
    let store: any Store
    /// The check prefixes get (`PrefixesController.originCheck`), so a load reports the
    /// onboarded prefixes that the new data refuses by the same rule.
    let originCheck: @Sendable () async throws -> OriginCheck

    /// A full RPKI export (about 550,000 ROAs as Routinator CSV) is some 25 MiB.
    static let bodyLimit = 128 << 20

    func register(on api: APIRouter) {
        api.on(.get, "/v1/origin-validation") { _, context in
            _ = try context.requireOperator()
            return try JSONResponse.make(try await store.originValidationStatus())
        }
        api.on(.put, "/v1/origin-validation/roas") { request, context in
            let principal = try context.requireOperator()
            let roas = try Self.parse(try await request.textBody(limit: Self.bodyLimit), code: "invalid_roas", ROACSVParser.parse)
            return try await load(.roas(roas), principal)
        }
        api.on(.put, "/v1/origin-validation/irr") { request, context in
            let principal = try context.requireOperator()
            let routes = try Self.parse(try await request.textBody(limit: Self.bodyLimit), code: "invalid_rpsl", RPSLParser.routes(in:))
            return try await load(.irr(routes), principal)
        }
        for kind in OriginDataKind.allCases {
            api.on(.delete, "/v1/origin-validation/\(kind.rawValue)") { _, context in
                let principal = try context.requireOperator()
                let written = try await store.clearOriginData(kind, actor: principal.actor)
                return Response(status: .noContent, headers: [.moatConfigVersion: String(written.version)])
            }
        }
    }

    func load(_ upload: OriginDataUpload, _ principal: Principal) async throws -> Response {
        let written = try await store.loadOriginData(upload, check: try await originCheck(), actor: principal.actor)
        return try JSONResponse.make(written.value, version: written.version)
    }

    /// Parses a data file; a refusal names the line, and the stored data stays as it was.
    static func parse<T>(_ text: String, code: String, _ parser: (String) throws(OriginDataError) -> T) throws(APIError) -> T {
        do {
            return try parser(text)
        } catch {
            throw APIError(.badRequest, code: code, error.description)
        }
    }
}
