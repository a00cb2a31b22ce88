import Foundation
import Hummingbird
import MoatModel

extension Request {
    /// The most a request body may hold.
    static let maximumBodySize = 1 << 20

    /// Reads the body as JSON, refusing more than 1 MiB.
    func jsonBody() async throws -> JSONValue {
        var request = self
        let buffer = try await request.collectBody(upTo: Request.maximumBodySize)
        return try JSONValue.parse(Data(buffer.readableBytesView))
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
