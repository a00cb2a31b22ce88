import Foundation
import Hummingbird
import Logging
import MoatModel

/// The edge's local endpoint: `GET /health` (the agent's status), `GET /metrics`, and the BGP
/// status and drain (`GET /bgp`, `POST /bgp/drain`, `POST /bgp/undrain`). It listens on
/// loopback by default: whoever reaches it can take the edge out of service.
package enum EdgeHTTP {
    package static func application(agent: EdgeAgent, bgp: BGPApplier? = nil, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        if let bgp { registerBGP(bgp, on: router) }
        router.get("/health") { _, _ -> Response in
            let status = await agent.status
            let body = try MoatJSON.encoder().encode(status)
            // 503 until a config runs, so a load balancer or systemd check can tell.
            return Response(status: status.appliedVersion == nil ? .serviceUnavailable : .ok,
                            headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        router.get("/metrics") { _, _ -> Response in
            var text = agent.metrics.registry.emitToBuffer()
            for source in agent.metricsSources { text += Array(source.metricsText().utf8) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "moat-edge"), logger: logger)
    }
}

extension EdgeHTTP {
    static func registerBGP(_ bgp: BGPApplier, on router: Router<BasicRequestContext>) {
        router.get("/bgp") { _, _ -> Response in try json(bgp.status) }
        router.post("/bgp/drain") { request, _ -> Response in
            let wait = request.uri.queryParameters["wait"].map(String.init) ?? "30"
            guard let seconds = Int(wait), (0...3600).contains(seconds) else {
                return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "wait must be 0-3600 seconds, got '\(wait)'\n")))
            }
            try bgp.drain(wait: .seconds(seconds))
            return try json(bgp.status)
        }
        router.post("/bgp/undrain") { _, _ -> Response in
            bgp.undrain()
            return try json(bgp.status)
        }
    }

    static func json(_ value: some Encodable) throws -> Response {
        let body = try MoatJSON.encoder().encode(value)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
