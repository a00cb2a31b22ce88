import Prometheus

/// The edge's Prometheus metrics, in a registry of its own.
package final class EdgeMetrics: Sendable {
    package let registry = PrometheusCollectorRegistry()
    let appliedVersion: Gauge
    let syncErrors: Counter
    let applyFailures: Counter
    let runningFromDisk: Gauge

    package init() {
        appliedVersion = registry.makeGauge(descriptor: .init(namespace: "moat", subsystem: "edge", metricName: "applied_version", unitName: "", helpText: "The config version this edge runs"))
        syncErrors = registry.makeCounter(descriptor: .init(namespace: "moat", subsystem: "edge", metricName: "sync_errors", unitName: "total", helpText: "Sync requests to core that failed"))
        applyFailures = registry.makeCounter(descriptor: .init(namespace: "moat", subsystem: "edge", metricName: "apply_failures", unitName: "total", helpText: "Configs that failed to apply"))
        runningFromDisk = registry.makeGauge(descriptor: .init(namespace: "moat", subsystem: "edge", metricName: "running_last_known_good", unitName: "", helpText: "1 while the edge runs a config from disk without having reached core"))
    }
}
