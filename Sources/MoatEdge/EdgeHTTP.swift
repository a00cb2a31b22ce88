import Foundation
import Hummingbird
import Logging
import MoatModel

/// The edge's local endpoint: `GET /health` (the agent's status) and `GET /metrics`.
package enum EdgeHTTP {
    package static func application(agent: EdgeAgent, host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
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
