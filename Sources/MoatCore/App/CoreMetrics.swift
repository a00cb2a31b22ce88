import Hummingbird
import Prometheus

/// Core's Prometheus metrics, in a registry of its own (not the process-wide MetricsSystem),
/// so several cores can run in one test process.
package final class CoreMetrics: Sendable {
    package let registry = PrometheusCollectorRegistry()
    let configVersion: Gauge
    let edgesConnected: Gauge
    static let latencyBuckets: [Duration] = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                             .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                             .seconds(1), .seconds(5), .seconds(30), .seconds(60)]

    package init() {
        configVersion = registry.makeGauge(descriptor: .init(namespace: "moat", metricName: "config_version", unitName: "", helpText: "The newest config version"))
        edgesConnected = registry.makeGauge(descriptor: .init(namespace: "moat", metricName: "edges_connected", unitName: "", helpText: "Edges holding a sync request open"))
    }

    func recordRequest(method: String, route: String, status: Int, duration: Duration) {
        let labels = [("method", method), ("route", route), ("status", String(status))]
        registry.makeCounter(descriptor: .init(namespace: "moat", metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"), labels: labels)
            .increment()
        registry.makeDurationHistogram(descriptor: .init(namespace: "moat", metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency"),
                                       labels: [("method", method), ("route", route)], buckets: Self.latencyBuckets)
            .record(duration)
    }
}

/// Counts and times every request by route pattern, not by raw path, so IDs do not explode
/// the label space.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: CoreMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(method: request.method.rawValue, route: route, status: Int(response.status.code), duration: ContinuousClock.now - start)
        return response
    }
}
