import CGarrisonPlugin
import Testing
@testable import GarrisonHost

/// metric_add's host side (Observability/PluginCounters.swift): plugins' counters land under
/// their own prefix, and nothing a plugin passes can reach the Prometheus registry's
/// process-stopping checks (type, label set or owner mismatch within one name).
@Suite struct PluginCountersTests {
    @Test func countersAreExportedUnderThePluginsPrefix() throws {
        let metrics = MetricsRegistry()
        try metrics.plugins.add(plugin: "alert_email", name: "notifications_sent_total", labels: [("channel", "email")], delta: 0)
        try metrics.plugins.add(plugin: "alert_email", name: "notifications_sent_total", labels: [("channel", "email")], delta: 2)
        try metrics.plugins.add(plugin: "hello-c", name: "greetings_total", labels: [], delta: 1)
        let text = metrics.exposition()
        #expect(PrometheusText.value(text, "garrison_plugin_alert_email_notifications_sent_total", ["channel": "email"]) == 2)
        #expect(PrometheusText.value(text, "garrison_plugin_hello_c_greetings_total") == 1)
    }

    @Test func refusals_neverReachTheRegistry() throws {
        let metrics = MetricsRegistry()
        let counters = metrics.plugins
        for bad in ["", "Sent_total", "sent", "1_total", "a-b_total", "garrison_http_requests", String(repeating: "a", count: 60) + "_total"] {
            #expect(throws: PluginCounters.Refusal.self) { try counters.add(plugin: "p", name: bad, labels: [], delta: 1) }
        }
        #expect(throws: PluginCounters.Refusal.self) { try counters.add(plugin: "p", name: "x_total", labels: [("__name__", "y")], delta: 1) }
        #expect(throws: PluginCounters.Refusal.self) {
            try counters.add(plugin: "p", name: "x_total", labels: [("a", String(repeating: "v", count: 129))], delta: 1)
        }
        #expect(throws: PluginCounters.Refusal.self) {
            try counters.add(plugin: "p", name: "x_total", labels: (1...5).map { ("l\($0)", "v") }, delta: 1)
        }
        // A counter keeps its first label names: labelled then unlabelled would stop the process.
        try counters.add(plugin: "p", name: "x_total", labels: [("channel", "a")], delta: 1)
        #expect(throws: PluginCounters.Refusal.self) { try counters.add(plugin: "p", name: "x_total", labels: [], delta: 1) }
        #expect(throws: PluginCounters.Refusal.self) { try counters.add(plugin: "p", name: "x_total", labels: [("kind", "a")], delta: 1) }
        try counters.add(plugin: "p", name: "x_total", labels: [("channel", "b")], delta: 1)
        // Two plugins whose prefixes meet: the name is the first one's.
        try counters.add(plugin: "a_b", name: "c_total", labels: [], delta: 1)
        #expect(throws: PluginCounters.Refusal.conflict("garrison_plugin_a_b_c_total belongs to plugin a_b")) {
            try counters.add(plugin: "a", name: "b_c_total", labels: [], delta: 1)
        }
        let text = metrics.exposition()
        #expect(PrometheusText.value(text, "garrison_plugin_p_x_total", ["channel": "a"]) == 1)
        #expect(PrometheusText.value(text, "garrison_plugin_p_x_total", ["channel": "b"]) == 1)
    }

    @Test func aPluginHasABoundedNumberOfSeries() throws {
        let counters = MetricsRegistry().plugins
        for i in 0..<Int(GARRISON_METRIC_SERIES_MAX) {
            try counters.add(plugin: "many", name: "by_agent_total", labels: [("agent", "\(i)")], delta: 1)
        }
        #expect(throws: PluginCounters.Refusal.limit) {
            try counters.add(plugin: "many", name: "by_agent_total", labels: [("agent", "new")], delta: 1)
        }
        // Existing series still count; another plugin is not limited by this one.
        try counters.add(plugin: "many", name: "by_agent_total", labels: [("agent", "0")], delta: 1)
        try counters.add(plugin: "other", name: "by_agent_total", labels: [("agent", "new")], delta: 1)
    }
}
