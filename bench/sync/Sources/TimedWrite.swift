import AsyncHTTPClient
import Foundation
import MoatModel
import NIOCore
import NIOHTTP1

/// A measured API write, timed on the event loop that receives the response.
///
/// The edges run in this process on the same cooperative threads as the benchmark; while they
/// are busy (an edge's fsync blocks one), a task awaiting the response resumes late. Taking the
/// instant in a future's callback, on the event loop, keeps that delay out of the figures.
struct TimedWrite {
    let http: HTTPClient
    let baseURL: String
    let token: String

    struct Answer {
        var version: Int
        var answered: ContinuousClock.Instant
    }

    func patch(_ path: String, _ json: JSONValue, timeout: Duration) async throws -> Answer {
        var headers = HTTPHeaders()
        headers.add(name: "Authorization", value: "Bearer \(token)")
        headers.add(name: "Content-Type", value: "application/json")
        let body = try JSONEncoder().encode(json)
        let request = try HTTPClient.Request(url: baseURL + path, method: .PATCH, headers: headers, body: .bytes(body))
        let deadline = NIODeadline.now() + .milliseconds(Int64(timeout.milliseconds))
        let (response, answered) = try await http.execute(request: request, deadline: deadline)
            .map { response in (response, ContinuousClock.now) }
            .get()
        guard (200..<300).contains(Int(response.status.code)) else {
            let text = response.body.map { String(buffer: $0) } ?? ""
            throw BenchError("PATCH \(path) answered HTTP \(response.status.code): \(text.prefix(300))")
        }
        guard let version = response.headers.first(name: "Moat-Config-Version").flatMap({ Int($0) }) else {
            throw BenchError("PATCH \(path) answered no Moat-Config-Version header")
        }
        return Answer(version: version, answered: answered)
    }
}
