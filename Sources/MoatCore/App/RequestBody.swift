import Foundation
import Hummingbird
import MoatModel
import NIOCore

extension Request {
    /// The most a request body may hold.
    static let maximumBodySize = 1 << 20
    /// An IP list of 100,000 IPv6 prefixes fits.
    static let maximumListBodySize = 8 << 20

    /// Reads the body as JSON, refusing more than `limit` bytes (1 MiB unless a route needs more).
    func jsonBody(limit: Int = Request.maximumBodySize) async throws -> JSONValue {
        try JSONValue.parse(Data(try await collected(limit: limit).readableBytesView))
    }

    /// The whole body, or 413 beyond `limit` bytes.
    private func collected(limit: Int) async throws -> ByteBuffer {
        var request = self
        do {
            return try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, code: "body_too_large", "the request body is larger than \(limit >> 20) MiB")
        }
    }

    /// Reads a data file sent as the body (CSV, RPSL) as UTF-8 text, refusing more than `limit`
    /// bytes and JSON, which such routes do not take.
    func textBody(limit: Int) async throws -> String {
        if let type = headers[.contentType], type.lowercased().hasPrefix("application/json") {
            throw APIError(.unsupportedMediaType, code: "unsupported_media_type", "this route reads a text file (text/csv or text/plain), not JSON")
        }
        let buffer = try await collected(limit: limit)
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw APIError(.badRequest, code: "invalid_encoding", "the body is not UTF-8 text")
        }
        return text
    }

    /// Reads a body that may be empty (an empty body counts as `{}`).
    func optionalJSONBody() async throws -> JSONValue {
        var request = self
        let buffer = try await request.collectBody(upTo: Request.maximumBodySize)
        guard buffer.readableBytes > 0 else { return .object([:]) }
        return try JSONValue.parse(Data(buffer.readableBytesView))
    }

    /// A positive integer query parameter, or a 400 naming it.
    func queryInt(_ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let text = uri.queryParameters.get(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.invalid("'\(text)' is not a number between \(range.lowerBound) and \(range.upperBound)", field: name)
        }
        return number
    }
}
