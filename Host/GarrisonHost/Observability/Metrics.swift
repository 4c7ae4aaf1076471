import CGarrisonPlugin
import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
import Prometheus

/// The process's metrics registry, exported at `/metrics` in Prometheus text format.
/// swift-metrics is bootstrapped with it once, so plugins and libraries that use
/// swift-metrics land here too.
public final class MetricsRegistry: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// Plugins' counters (metric_add), each under `garrison_plugin_<plugin>_`.
    public let plugins: PluginCounters
    private let requests: NIOLockedValueBox<[String: (Prometheus.Counter, DurationHistogram)]> = .init([:])

    private static let bootstrapped = NIOLockedValueBox(false)

    public init() {
        registry = PrometheusCollectorRegistry()
        plugins = PluginCounters(registry: registry, seriesLimit: Int(GARRISON_METRIC_SERIES_MAX))
    }

    /// Routes swift-metrics into this registry. Only the first registry in a process wins
    /// (swift-metrics allows one bootstrap), which is what tests with several hosts need.
    public func bootstrapGlobal() {
        let first = Self.bootstrapped.withLockedValue { done in
            defer { done = true }
            return !done
        }
        if first { MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry)) }
    }

    /// Counts a request and its latency, labelled by route pattern (not raw path, so the
    /// label set stays bounded), method and status.
    public func recordRequest(route: String, method: String, status: Int, duration: Duration) {
        let key = "\(method) \(route) \(status)"
        let pair = requests.withLockedValue { cache in
            if let pair = cache[key] { return pair }
            let labels = [("route", route), ("method", method), ("status", String(status))]
            let pair = (
                registry.makeCounter(name: "garrison_http_requests_total", labels: labels),
                registry.makeDurationHistogram(name: "garrison_http_request_duration_seconds", labels: labels, buckets: Self.buckets)
            )
            cache[key] = pair
            return pair
        }
        pair.0.increment()
        pair.1.record(duration)
    }

    /// Counts a connection the listener ended itself (a missed deadline, the per-address
    /// cap), labelled by reason: a handful of fixed values.
    public func connectionCut(_ reason: String) {
        registry.makeCounter(
            name: "garrison_connections_cut_total", labels: [("reason", reason)],
            help: "connections the listener closed itself, by reason"
        ).increment()
    }

    public func exposition() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    private static let buckets: [Duration] = [
        .microseconds(250), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .seconds(2), .seconds(5),
    ]
}
