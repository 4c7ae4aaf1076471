import CGarrisonPlugin
import Foundation
import JSONText

extension LoadedPlugin {
    /// metric_add (1.3): one of the plugin's counters on /metrics, under its own prefix
    /// (Observability/PluginCounters.swift). Allowed from plugin_init on, so a plugin can show
    /// its counters at 0 before the first event, until its shutdown begins.
    func metricAdd(name: garrison_bytes, labels: garrison_bytes, delta: UInt64) -> Int32 {
        guard let name = name.string, !labels.isMalformed, delta <= UInt64(Int64.max) else { return GARRISON_ERR_INVALID }
        var pairs: [(String, String)] = []
        if labels.len > 0 {
            guard let value = try? JSON.parse(labels.data), let object = value.objectValue else { return GARRISON_ERR_INVALID }
            for (key, value) in object {
                guard let text = value.stringValue else { return GARRISON_ERR_INVALID }
                pairs.append((key, text))
            }
            pairs.sort { $0.0 < $1.0 }
        }
        let phase = withState { $0.instance.state }
        guard phase == .loading || withState({ $0.instance.acceptsServiceCalls }) else { return GARRISON_ERR_PHASE }
        do {
            try services.dispatcher.metrics.plugins.add(plugin: self.name, name: name, labels: pairs, delta: Int64(delta))
            return GARRISON_OK
        } catch {
            switch error {
            case .invalid(let why):
                logger.debug("metric_add refused", metadata: ["metric": "\(name)", "why": "\(why)"])
                return GARRISON_ERR_INVALID
            case .conflict(let why):
                logger.warning("metric_add refused", metadata: ["metric": "\(name)", "why": "\(why)"])
                return GARRISON_ERR_CONFLICT
            case .limit:
                logger.warning("metric_add refused: the plugin has \(GARRISON_METRIC_SERIES_MAX) series already", metadata: ["metric": "\(name)"])
                return GARRISON_ERR_DENIED
            }
        }
    }
}
