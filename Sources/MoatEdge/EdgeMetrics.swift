import Prometheus

/// The edge's Prometheus metrics, in a registry of its own.
package final class EdgeMetrics: Sendable {
    package let registry = PrometheusCollectorRegistry()
    let appliedVersion: Gauge
    let syncErrors: Counter
    let applyFailures: Counter
    let runningFromDisk: Gauge

    package init() {
        appliedVersion = registry.makeGauge(name: "moat_edge_applied_version", help: "The config version this edge runs")
        syncErrors = registry.makeCounter(name: "moat_edge_sync_errors_total", help: "Sync requests to core that failed")
        applyFailures = registry.makeCounter(name: "moat_edge_apply_failures_total", help: "Configs that failed to apply")
        runningFromDisk = registry.makeGauge(name: "moat_edge_running_last_known_good", help: "1 while the edge runs a config from disk without having reached core")
    }
}
