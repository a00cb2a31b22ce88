import AsyncHTTPClient
import Foundation
import MoatModel
import NIOCore
import NIOHTTP1

/// An API error as the server reported it (or a transport failure, with status 0).
public struct APIClientError: Error, CustomStringConvertible, Sendable {
    public var status: Int
    public var code: String
    public var message: String
    public var field: String?
    /// Where in the field's text the fault is (rule expressions), in UTF-8 bytes.
    public var span: APIErrorBody.TextSpan?

    public var description: String {
        var text = "\(code): \(message)"
        if let field { text += " (field: \(field))" }
        return status > 0 ? "HTTP \(status) \(text)" : text
    }
}

/// A raw answer: status, body and the config version a write produced.
public struct APIResponse: Sendable {
    public var status: Int
    public var body: Data
    public var configVersion: Int?
}

/// A client of Moat's public HTTP API, used by the CLI, the edge agent and the benchmarks.
public struct APIClient: Sendable {
    public var baseURL: String
    public var token: String?
    let http: HTTPClient
    /// The largest answer read (a whole location config can be large).
    static let maximumBody = 256 << 20

    public init(baseURL: String, token: String?, http: HTTPClient = .shared) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        self.http = http
    }

    /// Sends a request; throws `APIClientError` for any answer that is not 2xx.
    @discardableResult
    public func send(_ method: HTTPMethod, _ path: String, json: JSONValue? = nil, timeout: TimeAmount = .seconds(30)) async throws -> APIResponse {
        var body: Data?
        if let json { body = try JSONEncoder().encode(json) }
        return try await send(method, path, body: body, timeout: timeout)
    }

    /// Sends `body` as `contentType` (JSON unless said otherwise, e.g. `text/csv` for a data file).
    public func send(_ method: HTTPMethod, _ path: String, body: Data?, contentType: String = "application/json",
                     timeout: TimeAmount = .seconds(30)) async throws -> APIResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: timeout)
        } catch let error as HTTPClientError {
            throw APIClientError(status: 0, code: "unreachable", message: "cannot reach \(baseURL): \(error)")
        }
        let buffer = try await response.body.collect(upTo: Self.maximumBody)
        let data = Data(buffer.readableBytesView)
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            if let decoded = try? JSONDecoder().decode(APIErrorBody.self, from: data) {
                throw APIClientError(status: status, code: decoded.error.code, message: decoded.error.message, field: decoded.error.field, span: decoded.error.span)
            }
            throw APIClientError(status: status, code: "http_\(status)", message: String(decoding: data.prefix(200), as: UTF8.self))
        }
        let version = response.headers.first(name: "Moat-Config-Version").flatMap { Int($0) }
        return APIResponse(status: status, body: data, configVersion: version)
    }

    public func get<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws -> T {
        try decode(T.self, try await send(.GET, path))
    }

    public func list<T: Codable & Sendable>(_ path: String, of type: T.Type = T.self) async throws -> [T] {
        try decode(ItemList<T>.self, try await send(.GET, path)).items
    }

    public func decode<T: Decodable>(_ type: T.Type, _ response: APIResponse) throws -> T {
        do {
            return try MoatJSON.decoder().decode(T.self, from: response.body)
        } catch {
            throw APIClientError(status: response.status, code: "unexpected_answer", message: "cannot read the server's answer as \(T.self): \(error)")
        }
    }
}
