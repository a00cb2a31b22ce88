import Foundation
import Hummingbird
import MoatModel

/// Liveness, Prometheus metrics and the OpenAPI document: no token needed.
struct HealthController {
    let store: any Store
    let metrics: CoreMetrics
    let broadcaster: ConfigBroadcaster

    struct Health: Encodable {
        var status: String
        var version: Int
    }

    func register(on api: APIRouter) {
        api.on(.get, "/v1/health") { _, _ in
            try JSONResponse.make(Health(status: "ok", version: try await store.currentVersion()))
        }
        api.on(.get, "/metrics") { _, _ in
            metrics.edgesConnected.set(to: Double(await broadcaster.connectedCount))
            metrics.configVersion.set(to: Double(try await store.currentVersion()))
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
        api.on(.get, "/v1/openapi.json") { _, _ in
            JSONResponse.raw(OpenAPIDocument.bytes)
        }
    }
}

/// The OpenAPI document shipped with the binary.
package enum OpenAPIDocument {
    package static let bytes: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
              let data = try? Data(contentsOf: url) else { return Array("{}".utf8) }
        return Array(data)
    }()
}
