import Foundation
import HTTPTypes
import Hummingbird
import MoatModel

/// An error the API answers with: a status, a stable `code`, a human message and the field at
/// fault, rendered as `{"error": {"code", "message", "field"}}`.
package struct APIError: HTTPResponseError, Equatable {
    package var status: HTTPResponse.Status
    package var code: String
    package var message: String
    package var field: String?
    /// Where in the field's text the fault is (rule expressions).
    package var span: APIErrorBody.TextSpan?

    package init(_ status: HTTPResponse.Status, code: String, _ message: String, field: String? = nil, span: APIErrorBody.TextSpan? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.span = span
    }

    package init(_ validation: ValidationError) {
        self.init(.badRequest, code: validation.code.rawValue, validation.message, field: validation.field)
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = APIErrorBody(error: .init(code: code, message: message, field: field, span: span))
        return try JSONResponse.make(status: status, body)
    }

    // MARK: the common ones

    package static func notFound(_ what: String, _ id: String) -> APIError {
        APIError(.notFound, code: "not_found", "\(what) '\(id)' does not exist")
    }

    package static func conflict(_ message: String, field: String? = nil) -> APIError {
        APIError(.conflict, code: "conflict", message, field: field)
    }

    package static let unauthorized = APIError(.unauthorized, code: "unauthorized",
        "missing or invalid token: send 'Authorization: Bearer TOKEN'")

    package static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, code: "forbidden", message)
    }

    package static func invalid(_ message: String, field: String?) -> APIError {
        APIError(.badRequest, code: "invalid_value", message, field: field)
    }
}

/// JSON answers with the project's encoding (ISO 8601 dates, sorted keys).
package enum JSONResponse {
    static let encoder = MoatJSON.encoder()

    package static func make(status: HTTPResponse.Status = .ok, _ value: some Encodable, version: Int? = nil) throws -> Response {
        let data = try encoder.encode(value)
        return raw(status: status, data, version: version)
    }

    package static func raw(status: HTTPResponse.Status = .ok, _ data: some Sequence<UInt8>, version: Int? = nil) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let version { headers[.moatConfigVersion] = String(version) }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension HTTPField.Name {
    /// The config version a write produced: scripts can wait until edges report it applied.
    package static let moatConfigVersion = HTTPField.Name("Moat-Config-Version")!
}
