import CGarrisonPlugin

extension PluginHost {
    /// Adds `by` to the plugin's counter `name` (ending in `_total`) with these labels, shown on
    /// the host's /metrics/ as `garrison_plugin_<plugin>_<name>` (metric_add, ABI 1.3). `by: 0`
    /// only makes the series appear. Counting never fails the work it counts: a refusal (a bad
    /// name, other label names than the first call's, too many series) is logged, and on a
    /// host older than 1.3 nothing happens.
    public func count(_ name: String, labels: [String: String] = [:], by delta: UInt64 = 1) {
        guard let metricAdd = api.optional(\.metric_add) else { return }
        let labelsJSON = String(decoding: JSON.object(labels.mapValues(JSON.string)).jsonBytes, as: UTF8.self)
        let rc = gate.pass { withBytes(name, labelsJSON) { name, labels in metricAdd(handle, name, labels, delta) } }
        if let rc, rc < 0 { log(.warning, "metric_add \(name): \(PluginStatus(rawValue: rc))") }
    }
}
