import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MoatCore
import MoatModel
import NIOCore

/// A core on a fresh temporary data directory, driven through its router.
struct TestCore {
    let server: CoreServer
    let directory: URL
    let operatorToken: String

    static func make(directory: URL? = nil, clock: TestClock? = nil) async throws -> TestCore {
        let directory = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("moat-test-\(UUID().uuidString)")
        var configuration = CoreConfiguration(dataDirectory: directory, port: 0)
        if let clock { configuration.clock = { clock.now } }
        let server = try await CoreServer.open(configuration)
        let token = try String(contentsOf: directory.appendingPathComponent("operator-token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return TestCore(server: server, directory: directory, operatorToken: token)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Runs `body` with a client of the router (no sockets).
    func run<T: Sendable>(_ body: @escaping @Sendable (API) async throws -> T) async throws -> T {
        let (router, _) = server.buildRouter()
        let app = Application(router: router)
        return try await app.test(.router) { client in try await body(API(client: client, operatorToken: operatorToken)) }
    }
}

/// A parsed answer.
struct Answer: @unchecked Sendable {
    var status: Int
    var headers: HTTPFields
    var body: Data

    var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
    var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
    var error: [String: Any] { json["error"] as? [String: Any] ?? [:] }
    var errorCode: String? { error["code"] as? String }
    var errorField: String? { error["field"] as? String }
    var id: String { json["id"] as? String ?? "" }
    var version: Int? { headers[HTTPField.Name("Moat-Config-Version")!].flatMap { Int($0) } }
}

struct API: Sendable {
    let client: any TestClientProtocol
    let operatorToken: String

    enum As: Sendable { case none, op, token(String) }

    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, as caller: As = .op, json: String? = nil, raw: ByteBuffer? = nil,
              contentType: String? = nil) async throws -> Answer {
        var headers: HTTPFields = [:]
        if let contentType { headers[.contentType] = contentType }
        switch caller {
        case .none: break
        case .op: headers[.authorization] = "Bearer \(operatorToken)"
        case .token(let token): headers[.authorization] = "Bearer \(token)"
        }
        let body = raw ?? json.map { ByteBuffer(string: $0) }
        return try await client.execute(uri: path, method: method, headers: headers, body: body) { response in
            Answer(status: Int(response.status.code), headers: response.headers, body: Data(response.body.readableBytesView))
        }
    }

    /// Creates and answers the ID, failing loudly if the API refuses.
    func create(_ path: String, _ json: String, as caller: As = .op) async throws -> String {
        let answer = try await call(.post, path, as: caller, json: json)
        guard answer.status == 201 else {
            throw TestFailure("POST \(path) \(json) → \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
        }
        return answer.id
    }

    func token(account: String, scope: String) async throws -> String {
        let answer = try await call(.post, "/v1/accounts/\(account)/tokens", json: #"{"scope":"\#(scope)"}"#)
        guard let token = answer.json["token"] as? String else { throw TestFailure("no token in \(answer.json)") }
        return token
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A clock a test moves by hand, so that time-dependent behaviour is tested without sleeping.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date) { current = start }

    var now: Date { lock.withLock { current } }

    func advance(_ seconds: TimeInterval) { lock.withLock { current += seconds } }
}
