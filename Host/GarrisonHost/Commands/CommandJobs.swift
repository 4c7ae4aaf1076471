import Foundation
import Logging

/// Periodic work of the command service, on the host scheduler so one host runs each tick.
enum CommandJobs {
    static func register(_ registry: JobRegistry, store: ScheduleStore, commander: AgentCommander, update: AgentUpdate, events: EventBus)
        async throws
    {
        let pool = commander.pool
        try registry.register(kind: "core.pending-actions", owner: "core") { _ in
            do {
                let (expired, agents) = try await commander.sweepPending()
                return .succeeded(["expired": .init(expired), "agents": .init(agents)])
            } catch { return .failed("\(error)") }
        }
        try registry.register(kind: "core.agent-status", owner: "core") { _ in
            do { return .succeeded(["events": .init(try await AgentStatusWatch.sweep(pool: pool, events: events))]) } catch {
                return .failed("\(error)")
            }
        }
        try registry.register(kind: "core.agent-auto-update", owner: "core") { _ in
            do {
                let settings = try await pool.query("SELECT settings FROM core_settings WHERE id = 1").first
                guard CoreSettings.merged(.fromDatabase(settings?["settings"], fallback: [:]))["agent_auto_update"]?.boolValue == true
                else {
                    return .succeeded(["skipped": "agent_auto_update is off"])
                }
                // Online agents only: offline ones are picked up by a later tick, not queued hourly.
                let rows = try await pool.query(
                    "SELECT a.agent_id, a.version, a.plat, a.goarch FROM agents a WHERE (\(AgentQueries.status)) = 'online'"
                ).rows
                return .succeeded(["sent": .init(try await update.send(to: rows, commander: commander, username: "auto-update").count)])
            } catch { return .failed("\(error)") }
        }
        try await store.upsert(
            ScheduleDefinition(
                id: "core.pending-actions", owner: "core", kind: "core.pending-actions", spec: ["type": "interval", "seconds": 30],
                maxAttempts: 1))
        try await store.upsert(
            ScheduleDefinition(
                id: "core.agent-status", owner: "core", kind: "core.agent-status", spec: ["type": "interval", "seconds": 30], maxAttempts: 1
            ))
        try await store.upsert(
            ScheduleDefinition(
                id: "core.agent-auto-update", owner: "core", kind: "core.agent-auto-update", spec: ["type": "cron", "expr": "35 * * * *"],
                maxAttempts: 1))
        commander.followOnlineEvents()
    }
}
