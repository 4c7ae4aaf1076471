import ChecksCore
import Foundation
import PluginKit
import Synchronization

/// check -- Tactical RMM's checks: definitions per agent and per policy, the agent's check
/// runner, result evaluation, history, and check.failed / check.resolved events.
///
/// Operator routes (Tactical RMM's paths and JSON):
///   GET  /checks/                          [can_list_checks]   every check
///   POST /checks/                          [can_manage_checks] {"agent": agent_id | "policy": pk, "check_type", ...}
///   GET|PUT|DELETE /checks/<pk>/           [can_list_checks | can_manage_checks]
///   GET|POST /agents/<agent_id>/checks/    [can_list_checks | can_manage_checks] the agent's checks, policy ones included
///   GET|POST /automation/policies/<pk>/checks/  a policy's checks
///   POST /checks/<pk>/reset/               [can_manage_checks] pk = the result's id
///   POST /checks/<agent_id>/resetall/      [can_manage_checks]
///   POST /checks/<agent_id>/run/           [can_run_checks]    NATS runchecks (request, 15 s)
///   POST /checks/<target>/<pk>/csbulkrun/  [can_run_checks]    target client | site; runchecks to each agent
///   PATCH /checks/<pk>/history/            [can_list_checks]   {"timeFilter": days} pk = the result's id
///
/// Agent routes (permission "agent", docs/agent-protocol.md §7.5, §7.6):
///   GET   /api/v3/<agent_id>/checkrunner/  due checks, jittered interval
///   GET   /api/v3/<agent_id>/runchecks/    all checks
///   GET   /api/v3/<agent_id>/checkinterval/
///   PATCH /api/v3/checkrunner/             one result
///
/// Named "check" so that its events are check.failed and check.resolved (a plugin
/// publishes under its own name).
final class Checks: GarrisonPlugin {
    static let name: StaticString = "check"
    static let version: StaticString = "0.1.0"
    static let minHostMinor: UInt16 = 1

    let host: PluginHost
    let settings: Settings
    let agents: AgentFactsCache
    let definitions: DefinitionCache
    let states: ResultStateCache
    let runners: RunnerJSONCache
    /// Set in `register`: it needs the finished plugin.
    private let batchSlot = Mutex<ResultBatch?>(nil)
    var results: ResultBatch { batchSlot.withLock { $0! } }

    init(host: PluginHost) throws {
        self.host = host
        self.settings = try host.settings(Settings.self)
        self.agents = AgentFactsCache(host: host, ttl: settings.agentCacheSeconds)
        definitions = DefinitionCache(capacity: settings.cacheEntries)
        states = ResultStateCache(capacity: settings.cacheEntries)
        runners = RunnerJSONCache(capacity: settings.cacheEntries)
    }

    func register(_ r: Registrar) throws {
        let batch = ResultBatch(checks: self)
        batchSlot.withLock { $0 = batch }
        try r.migration(version: 1, sql: Schema.v1)
        try r.migration(version: 2, sql: Schema.v2)
        try registerOperatorRoutes(r)
        try registerAgentRoutes(r)
        try r.jobKind("check.prune") { _ in try await self.prune() }
        try r.jobKind("check.outbox") { _ in ["delivered": .number(Double(try await self.deliverPending()))] }
        try r.jobKind("check.import-trmm") { run in try await self.importTRMM(run.payload) }
        // Schedules live in the database; creating them needs the plugin running.
        try r.subscribe("core.started") { _ in
            await self.ensureSchedules()
            await self.replayRecent()
        }
        try r.subscribe("core.policy.*") { event in await self.policyChanged(event) }
        try r.subscribe("agent.deleted") { event in await self.agentDeleted(event) }
        Task { await self.ensureSchedules() }
    }

    func ensureSchedules() async {
        // Retried for a few seconds: this runs while the host is still starting the plugin
        // (init, then migrations), and calls made before that is done are refused.
        for attempt in 1...50 {
            do {
                _ = try await host.upsertSchedule(["id": JSON.string("check-prune"), "kind": "check.prune", "every_s": 3600] as JSON)
                _ = try await host.upsertSchedule(
                    ["id": JSON.string("check-outbox"), "kind": "check.outbox", "every_s": .number(Double(settings.outboxSweepSeconds))]
                        as JSON)
                // Events left from before a restart go out now rather than at the first sweep.
                _ = try await deliverPending()
                return
            } catch {
                if attempt == 50 { host.log(.warning, "schedules: \(error)"); return }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    func policyChanged(_ event: PluginEvent) async {
        agents.clear()
        guard event.name == "core.policy.deleted", let id = event.json["id"]?.intValue else { return }
        do {
            try await host.execute(
                "WITH gone AS (DELETE FROM checks WHERE policy_id = $1 RETURNING id) DELETE FROM history WHERE check_id IN (SELECT id FROM gone)",
                [id])
        } catch { host.log(.warning, "dropping checks of deleted policy \(id): \(error)") }
    }

    func agentDeleted(_ event: PluginEvent) async {
        guard let agentID = event.json["agent_id"]?.stringValue else { return }
        do {
            try await host.execute(
                """
                WITH c AS (DELETE FROM checks WHERE agent_id = $1), r AS (DELETE FROM results WHERE agent_id = $1)
                DELETE FROM history WHERE agent_id = $1
                """, [agentID])
        } catch { host.log(.warning, "dropping checks of deleted agent \(agentID): \(error)") }
    }

    /// Removes chart points older than the retention, and delivered events as old.
    func prune() async throws -> JSON? {
        guard settings.retentionDays > 0 else { return ["pruned": 0] }
        let rows: [CountRow] = try await host.query(
            """
            WITH h AS (DELETE FROM history WHERE x < now() - make_interval(days => $1) RETURNING 1),
                 o AS (DELETE FROM outbox WHERE delivered_time < now() - make_interval(days => $1))
            SELECT count(*)::int AS n FROM h
            """, [settings.retentionDays])
        return ["pruned": .number(Double(rows.first?.n ?? 0))]
    }
}

struct CountRow: Decodable, Sendable { let n: Int }

extension PluginRequest {
    /// The operator's name for created_by / audit; empty for agents.
    var username: String { principal["username"]?.stringValue ?? "" }
}
