import Foundation
import Hummingbird
import MoatModel

/// `/v1/edge/...`: what edges call. Enrolment trades a one-time token for a credential; sync is
/// a long-poll that answers as soon as the edge's location has a newer config.
struct EdgeSyncController {
    let store: any Store
    let broadcaster: ConfigBroadcaster
    let presence: EdgePresence
    let appBoard: AppServiceBoard
    let metrics: CoreMetrics
    let clock: @Sendable () -> Date
    static let longestWait = 120

    func register(on api: APIRouter) {
        api.on(.post, "/v1/edge/enroll") { request, _ in
            var reader = try ObjectReader(try await request.jsonBody())
            let token = try reader.string("token", maxLength: 128)
            let hostname = try reader.optionalString("hostname", maxLength: 255)
            let agentVersion = try reader.optionalString("agent_version", maxLength: 64)
            try reader.finish()
            guard TokenSecret.looksValid(token) else {
                throw APIError(.unauthorized, code: "invalid_enrollment_token", "the enrolment token is malformed", field: "token")
            }
            let credential = TokenSecret.generate()
            let edge = try await store.enroll(enrollmentHash: TokenSecret.hash(token), credentialHash: TokenSecret.hash(credential),
                                              hostname: hostname, agentVersion: agentVersion, at: Date())
            return try JSONResponse.make(EnrollResponse(edgeID: edge.id, location: edge.location, credential: credential))
        }

        // `version`: the newest config the edge has seen; `applied`: the one it runs.
        api.on(.get, "/v1/edge/sync") { request, context in
            let edge = try context.requireEdge()
            let seen = try request.queryInt("version", default: 0, in: 0...Int.max)
            let applied = request.uri.queryParameters.get("applied").flatMap { Int($0) }
            let wait = try request.queryInt("wait", default: 30, in: 0...Self.longestWait)
            let now = Date()
            await presence.touch(edge.id, applied: applied, at: now)
            metrics.edgesConnected.set(to: Double(await broadcaster.connectedCount))
            guard let compiled = await broadcaster.next(location: edge.location, after: seen, timeout: .seconds(wait), edgeID: edge.id) else {
                return Response(status: .noContent)
            }
            return JSONResponse.raw(compiled.body, version: compiled.version)
        }

        api.on(.post, "/v1/edge/status") { request, context in
            let edge = try context.requireEdge()
            var reader = try ObjectReader(try await request.jsonBody())
            let applied = try reader.optionalInt("applied_version", in: 0...Int.max)
            let agentVersion = try reader.optionalString("agent_version", maxLength: 64)
            let failed = try reader.optionalInt("failed_version", in: 0...Int.max)
            let error = try reader.optionalString("error", maxLength: 4096)
            try reader.finish()
            let now = Date()
            await presence.touch(edge.id, applied: applied, at: now)
            let lastError: String? = error.map { message in failed.map { "version \($0): \(message)" } ?? message }
            try await store.recordEdgeReport(edge.id, EdgeReport(appliedVersion: applied, agentVersion: agentVersion, lastError: .some(lastError), seenAt: now))
            return Response(status: .noContent)
        }

        // Rule counters, tunnel probe summaries and state changes, Spectrum events and the apps the
        // edge does not serve; any part may be empty.
        api.on(.post, "/v1/edge/telemetry") { request, context in
            let edge = try context.requireEdge()
            let now = clock()
            var reader = try ObjectReader(try await request.jsonBody())
            var hits: [String: UInt64] = [:]
            if case .object(let counters)? = reader.raw("rule_hits") {
                guard counters.count <= 1_000_000 else { throw APIError.invalid("too many counters", field: "rule_hits") }
                for (rule, value) in counters {
                    guard case .number(let number) = value, number >= 0, number.rounded() == number, number < 1.8e19 else {
                        throw APIError.invalid("a counter is a non-negative integer", field: "rule_hits.\(rule)")
                    }
                    hits[rule] = UInt64(number)
                }
            } else if reader.has("rule_hits") {
                throw APIError.invalid("expected an object of rule id → packets", field: "rule_hits")
            }
            let samples = try TunnelHealthInput.samples(&reader, now: now)
            let events = try TunnelHealthInput.events(&reader, now: now)
            let proxyEvents = try ProxyEventInput.events(&reader)
            let attacks = try AttackInput.attacks(&reader)
            let unserved = try ProxyEventInput.unservedApps(&reader)
            try reader.finish()
            if let unserved { await appBoard.record(edgeID: edge.id, location: edge.location, unserved: unserved, at: now) }
            await presence.touch(edge.id, applied: nil, at: now)
            // A report of state changes alone carries an empty `rule_hits` (EdgeTelemetry always
            // encodes it): it leaves the edge's counters as they were.
            if !hits.isEmpty {
                try await store.recordRuleHits(edgeID: edge.id, location: edge.location, hits: hits, at: now)
            }
            if !samples.isEmpty || !events.isEmpty {
                try await store.recordTunnelHealth(edgeID: edge.id, location: edge.location, samples: samples, events: events, at: now)
            }
            if !proxyEvents.isEmpty {
                try await store.recordProxyEvents(edgeID: edge.id, location: edge.location, events: proxyEvents, at: now)
            }
            if !attacks.isEmpty {
                try await store.recordAttacks(edgeID: edge.id, location: edge.location, attacks: attacks, at: now)
            }
            return Response(status: .noContent)
        }
    }
}
