import Foundation
import Logging

/// The host's own scheduled work. Retention follows the core settings' `*_prune_days`
/// (0 keeps everything), as in Tactical RMM.
enum HostJobs {
    static func register(_ registry: JobRegistry, store: ScheduleStore, pool: DatabasePool, logger: Logger) async throws {
        try registry.register(kind: "core.prune-history", owner: "core") { _ in
            do {
                let settings = try await pool.query("SELECT settings FROM core_settings WHERE id = 1").first
                let values = CoreSettings.merged(.fromDatabase(settings?["settings"], fallback: [:]))
                var pruned: [String: JSON] = [:]
                for (key, table, column) in [
                    ("audit_log_prune_days", "audit_log", "entry_time"), ("job_run_prune_days", "job_runs", "finished_at"),
                    ("agent_history_prune_days", "agent_history", "time"),
                ] {
                    guard let days = values[key]?.intValue, days > 0 else { continue }
                    let count = try await pool.query(
                        "DELETE FROM \(table) WHERE \(column) < now() - make_interval(days => $1)", [String(days)]
                    ).affectedRows
                    pruned[table] = .init(count)
                }
                return .succeeded(.object(pruned))
            } catch {
                return .failed("\(error)")
            }
        }
        try await store.upsert(
            ScheduleDefinition(
                id: "core.prune-history", owner: "core", kind: "core.prune-history",
                spec: ["type": "cron", "expr": "17 3 * * *"], maxAttempts: 3))
    }
}
