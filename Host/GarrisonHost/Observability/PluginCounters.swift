import NIOConcurrencyHelpers
import Prometheus

/// Plugins' counters on /metrics (the ABI's metric_add), kept apart from the host's own.
///
/// Every name is exported under `garrison_plugin_<plugin>_`, so a plugin never writes a host
/// metric. The Prometheus registry stops the process on a type, help or label-set mismatch
/// within one name, so everything that could lead there is refused here first: names are
/// checked, a name belongs to the first plugin that used it (two plugins' prefixes can meet:
/// "a_b" + "c_total" and "a" + "b_c_total"), and a name keeps the label names of its first
/// use. Each plugin has at most `seriesLimit` series, so a plugin counting by agent or alert
/// cannot grow the exposition without bound.
public final class PluginCounters: Sendable {
    public enum Refusal: Error, Equatable, Sendable {
        case invalid(String)
        case conflict(String)
        case limit
    }

    struct Family: Sendable {
        let owner: String
        let labelNames: [String]
    }

    struct State: Sendable {
        var families: [String: Family] = [:]
        var counters: [String: Prometheus.Counter] = [:]
        var seriesByOwner: [String: Int] = [:]
    }

    private let registry: PrometheusCollectorRegistry
    private let seriesLimit: Int
    private let state = NIOLockedValueBox(State())

    init(registry: PrometheusCollectorRegistry, seriesLimit: Int) {
        self.registry = registry
        self.seriesLimit = seriesLimit
    }

    /// The exported name: `garrison_plugin_<plugin>_<name>`, the plugin's '-' written '_'.
    static func exportedName(plugin: String, name: String) -> String {
        "garrison_plugin_\(plugin.replacingOccurrences(of: "-", with: "_"))_\(name)"
    }

    /// Adds `delta` to the plugin's counter `name` with these labels (sorted by name).
    public func add(plugin: String, name: String, labels: [(String, String)], delta: Int64) throws(Refusal) {
        guard Self.isName(name, maxLength: 64), name.hasSuffix("_total") else {
            throw .invalid("name must be [a-z][a-z0-9_]{0,63} ending in _total")
        }
        guard labels.count <= 4 else { throw .invalid("at most 4 labels") }
        for (label, value) in labels {
            guard Self.isName(label, maxLength: 32), !label.hasPrefix("__") else { throw .invalid("bad label name \(label)") }
            guard value.utf8.count <= 128 else { throw .invalid("label \(label): value longer than 128 bytes") }
        }
        guard delta >= 0 else { throw .invalid("negative delta") }
        let full = Self.exportedName(plugin: plugin, name: name)
        let labelNames = labels.map(\.0)
        let key = full + "\u{0}" + labels.map { "\($0.0)=\($0.1)" }.joined(separator: "\u{0}")
        // The lock's closure cannot throw a typed error: it answers a Result.
        let found = state.withLockedValue { (state: inout State) -> Result<Prometheus.Counter, Refusal> in
            if let family = state.families[full] {
                guard family.owner == plugin else { return .failure(.conflict("\(full) belongs to plugin \(family.owner)")) }
                guard family.labelNames == labelNames else {
                    return .failure(.invalid("\(name) has the labels [\(family.labelNames.joined(separator: ", "))]"))
                }
            }
            if let counter = state.counters[key] { return .success(counter) }
            guard state.seriesByOwner[plugin, default: 0] < seriesLimit else { return .failure(.limit) }
            state.families[full] = Family(owner: plugin, labelNames: labelNames)
            let counter = labels.isEmpty ? registry.makeCounter(name: full) : registry.makeCounter(name: full, labels: labels)
            state.counters[key] = counter
            state.seriesByOwner[plugin, default: 0] += 1
            return .success(counter)
        }
        let counter = try found.get()
        if delta > 0 { counter.increment(by: delta) }
    }

    /// [a-z][a-z0-9_]{0,maxLength-1}: valid as a Prometheus metric or label name as it is.
    static func isName(_ text: String, maxLength: Int) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first, bytes.count <= maxLength, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) else {
            return false
        }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: "_")
        }
    }
}
