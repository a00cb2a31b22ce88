import AsyncHTTPClient
import Foundation
import MoatClient
import MoatModel
import NIOCore

extension SyncClient {
    /// Jobs for this edge (`GET /v1/edge/jobs`); empty when core had none within `wait` seconds.
    package func nextJobs(identity: EdgeIdentity, wait: Int) async throws -> [EdgeTracerouteJob] {
        let api = APIClient(baseURL: coreURL, token: identity.credential, http: http)
        let response = try await api.send(.GET, "/v1/edge/jobs?wait=\(wait)", body: nil, timeout: .seconds(Int64(wait) + 15))
        guard response.status == 200 else { return [] }
        return try api.decode(ItemList<EdgeTracerouteJob>.self, response).items
    }

    package func sendResults(identity: EdgeIdentity, job: String, _ report: EdgeTracerouteReport) async throws {
        let api = APIClient(baseURL: coreURL, token: identity.credential, http: http)
        _ = try await api.send(.POST, "/v1/edge/jobs/\(job)/results", body: try MoatJSON.encoder().encode(report), timeout: .seconds(10))
    }
}
