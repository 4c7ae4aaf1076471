import Foundation
import PluginKit

/// The [settings] table of plugins.d/63-urlactions.toml; every key optional.
struct Settings: Decodable, Sendable {
    /// Per request (Tactical RMM: 8 s for post/put/patch, none for get/delete).
    var timeout_seconds: Int?
    var max_attempts: Int?
    var backoff_seconds: Int?
    var backoff_max_seconds: Int?
    var send_sweep_seconds: Int?
    var retention_days: Int?
    /// Comma-separated host names or addresses webhooks and test runs may reach; empty: any.
    var allowed_hosts: String?
}

/// The checked settings.
struct Config: Sendable {
    let timeout: Int
    let maxAttempts: Int
    let backoff: Int
    let backoffMax: Int
    let sweep: Int
    let retentionDays: Int
    let allowedHosts: Set<String>

    init(_ s: Settings) throws {
        func bounded(_ name: String, _ value: Int?, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
            let v = value ?? fallback
            guard range.contains(v) else {
                throw PluginError(.invalid, "[settings] \(name): \(v) is not in \(range.lowerBound)-\(range.upperBound)")
            }
            return v
        }
        timeout = try bounded("timeout_seconds", s.timeout_seconds, 8, 1...600)
        maxAttempts = try bounded("max_attempts", s.max_attempts, 5, 1...1000)
        backoff = try bounded("backoff_seconds", s.backoff_seconds, 30, 1...86_400)
        backoffMax = try bounded("backoff_max_seconds", s.backoff_max_seconds, 3600, 1...604_800)
        sweep = try bounded("send_sweep_seconds", s.send_sweep_seconds, 30, 1...3600)
        retentionDays = try bounded("retention_days", s.retention_days, 90, 0...36_500)
        allowedHosts = Set(
            (s.allowed_hosts ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty })
    }

    /// Why `url` may not be requested, or nil: only http(s) with a host, and (when
    /// allowed_hosts is set) only those hosts.
    func refusal(_ url: String) -> String? {
        guard let parsed = URLComponents(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
            let host = parsed.host, !host.isEmpty
        else {
            return "\(url) is not an http(s) URL"
        }
        if !allowedHosts.isEmpty && !allowedHosts.contains(host.lowercased()) {
            return "\(host) is not in [settings] allowed_hosts"
        }
        return nil
    }
}
