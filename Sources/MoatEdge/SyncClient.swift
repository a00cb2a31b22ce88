import AsyncHTTPClient
import Foundation
import MoatClient
import MoatModel
import NIOCore

/// The edge's side of `/v1/edge`: enrol, long-poll for configs, report status.
package struct SyncClient: Sendable {
    let coreURL: String
    let http: HTTPClient

    package init(coreURL: String, http: HTTPClient = .shared) {
        self.coreURL = coreURL
        self.http = http
    }

    package func enroll(token: String, hostname: String?, agentVersion: String) async throws -> EnrollResponse {
        let api = APIClient(baseURL: coreURL, token: nil, http: http)
        let body = try MoatJSON.encoder().encode(EnrollRequest(token: token, hostname: hostname, agentVersion: agentVersion))
        return try api.decode(EnrollResponse.self, try await api.send(.POST, "/v1/edge/enroll", body: body))
    }

    /// The location's config once it is newer than `seen`; nil when core had nothing new
    /// within `wait` seconds.
    package func next(identity: EdgeIdentity, seen: Int, applied: Int?, wait: Int) async throws -> EdgeConfig? {
        let api = APIClient(baseURL: coreURL, token: identity.credential, http: http)
        var path = "/v1/edge/sync?version=\(seen)&wait=\(wait)"
        if let applied { path += "&applied=\(applied)" }
        let response = try await api.send(.GET, path, body: nil, timeout: .seconds(Int64(wait) + 15))
        guard response.status == 200 else { return nil }
        return try api.decode(EdgeConfig.self, response)
    }

    package func sendTelemetry(identity: EdgeIdentity, _ telemetry: EdgeTelemetry) async throws {
        let api = APIClient(baseURL: coreURL, token: identity.credential, http: http)
        _ = try await api.send(.POST, "/v1/edge/telemetry", body: try MoatJSON.encoder().encode(telemetry), timeout: .seconds(10))
    }

    package func report(identity: EdgeIdentity, _ status: EdgeStatusReport) async throws {
        let api = APIClient(baseURL: coreURL, token: identity.credential, http: http)
        // Short: while core is unreachable the HTTP client keeps retrying the connection until
        // this deadline, and the agent should count the failure and carry on.
        _ = try await api.send(.POST, "/v1/edge/status", body: try MoatJSON.encoder().encode(status), timeout: .seconds(5))
    }
}
