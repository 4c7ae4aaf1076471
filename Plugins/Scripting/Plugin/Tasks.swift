import PluginKit
import ScriptingCore
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Automated tasks (docs/compatibility.md §2.5). Calendar schedules live in the host scheduler
/// (job kind "scripting.task"); when one is due the plugin sends `runtask` and the agent
/// fetches its actions and reports through /api/v3/<pk>/<agent_id>/taskrunner/ (docs/agent-protocol.md §7.7).
struct Tasks: Sendable {
    let host: PluginHost
    static let jobKind = "scripting.task"

    struct Row: Decodable { let id: Int; let agent_id: String; let task: AutomatedTask }

    func load(_ id: Int) async throws -> AutomatedTask? {
        guard let row = try await host.query("SELECT id, agent_id, task FROM tasks WHERE id = $1", [id], as: Row.self).first else {
            return nil
        }
        var task = row.task
        task.id = row.id
        return task
    }

    func register(_ r: Registrar, scripting: Scripting) throws {
        try r.jobKind(Self.jobKind) { run in
            guard let id = run.payload["task_id"]?.intValue else { return nil }
            try await self.runTask(id, reason: "schedule")
            return ["task_id": .number(Double(id))]
        }
        try r.route(.get, "/tasks/", permission: "can_list_autotasks") { req in
            let all = try await self.all(agentID: nil)
            guard let visible = try await scripting.visibleAgentIDs(req) else { return try .json(all) }
            return try .json(all.filter { visible.contains($0["agent_id"]?.stringValue ?? "") })
        }
        try r.route(.get, "/agents/<agent_id>/tasks/", permission: "can_list_autotasks") { req in
            try await scripting.ensureVisible(req, agentID: req.params["agent_id"] ?? "")
            return try .json(try await self.all(agentID: req.params["agent_id"]))
        }
        try r.route(.post, "/tasks/", permission: "can_manage_autotasks") { req in
            let task: AutomatedTask = try req.json()
            try checked { () throws(ScriptingError) in try task.validate() }
            _ = try await scripting.target(task.agentID, texts: [], scope: req.roleScope)  // 404 for an unknown or unseen agent
            struct ID: Decodable { let id: Int }
            let id = try await host.query(
                "INSERT INTO tasks (agent_id, task, created_by) VALUES ($1, $2::jsonb, $3) RETURNING id",
                [task.agentID, try Self.encode(task), req.username], as: ID.self)[0].id
            try await self.schedule(id, task)
            try? host.audit(
                action: "scripting.task_add", username: req.username, agentID: task.agentID, object: "task:\(id)",
                detail: ["name": .string(task.name)])
            return try .json(["id": id])
        }
        try r.route(.get, "/tasks/<pk>/", permission: "can_list_autotasks") { req in
            guard let task = try await self.load(try req.intParam("pk")) else { throw PluginHTTPError(404, "No such task.") }
            try await scripting.ensureVisible(req, agentID: task.agentID)
            return try .json(try await self.render(task))
        }
        try r.route(.put, "/tasks/<pk>/", permission: "can_manage_autotasks") { req in
            let id = try req.intParam("pk")
            guard let before = try await self.load(id) else { throw PluginHTTPError(404, "No such task.") }
            try await scripting.ensureVisible(req, agentID: before.agentID)
            var task: AutomatedTask = try req.json()
            task.agentID = before.agentID
            task.id = nil
            try checked { () throws(ScriptingError) in try task.validate() }
            try await host.execute("UPDATE tasks SET task = $2::jsonb WHERE id = $1", [id, try Self.encode(task)])
            try await self.schedule(id, task)
            try? host.audit(
                action: "scripting.task_modify", username: req.username, agentID: task.agentID, object: "task:\(id)",
                detail: ["name": .string(task.name)])
            return try .json(["id": id])
        }
        try r.route(.delete, "/tasks/<pk>/", permission: "can_manage_autotasks") { req in
            let id = try req.intParam("pk")
            guard let task = try await self.load(id) else { throw PluginHTTPError(404, "No such task.") }
            try await scripting.ensureVisible(req, agentID: task.agentID)
            try? await host.cancelSchedule(id: Self.scheduleID(id))
            try await host.execute("DELETE FROM tasks WHERE id = $1", [id])
            try? host.audit(
                action: "scripting.task_delete", username: req.username, agentID: task.agentID, object: "task:\(id)",
                detail: ["name": .string(task.name)])
            return try .json(JSON.string("\(task.name) was deleted"))
        }
        try r.route(.post, "/tasks/<pk>/run/", permission: "can_run_autotasks") { req in
            let id = try req.intParam("pk")
            guard let task = try await self.load(id) else { throw PluginHTTPError(404, "No such task.") }
            try await scripting.ensureVisible(req, agentID: task.agentID)
            try await self.runTask(id, reason: "manual")
            try? host.audit(
                action: "scripting.task_run", username: req.username, agentID: task.agentID, object: "task:\(id)",
                detail: ["name": .string(task.name)])
            return try .json(JSON.string("\(task.name) will now be run"))
        }
        try r.route(.get, "/api/v3/<pk>/<agent_id>/taskrunner/", permission: "agent") { req in
            let (task, agentID) = try await self.agentTask(req)
            let scripts = try await scripting.library.scripts(ids: task.actions.compactMap(\.script))
            var texts: [String] = []
            for action in task.actions { texts += (action.scriptArgs ?? []) + (action.envVars ?? []) + [action.command ?? ""] }
            for script in scripts.values { texts += script.args + script.envVars }
            let target = try await scripting.target(agentID, texts: texts)
            let snippets = try await scripting.library.snippetCodes()
            let actions = try checked { () throws(ScriptingError) in
                try TaskRunner.actions(
                    task, scripts: scripts, snippets: snippets, context: target.context, plat: target.plat,
                    nushellEnableConfig: scripting.settings.nushellEnableConfig,
                    denoDefaultPermissions: scripting.settings.denoDefaultPermissions)
            }
            return try .json(
                JSON.object([
                    "id": .number(Double(task.id ?? 0)), "continue_on_error": .bool(task.continueOnError),
                    "enabled": .bool(task.enabled), "task_actions": .array(actions),
                ]))
        }
        try r.route(.patch, "/api/v3/<pk>/<agent_id>/taskrunner/", permission: "agent") { req in
            let (task, agentID) = try await self.agentTask(req)
            let result: TaskRunResult
            do { result = try JSONDecoder().decode(TaskRunResult.self, from: req.body) } catch {
                throw PluginHTTPError(
                    400, "A task result needs stdout and stderr (strings), retcode (an integer) and execution_time (seconds).")
            }
            try await self.store(task, agentID: agentID, result)
            return try .json(JSON.string("ok"))
        }
        try r.subscribe("agent.enrolled") { event in
            guard let agentID = event.json["agent_id"]?.stringValue else { return }
            await self.fire(agentID: agentID, type: .onboarding, check: nil)
        }
        // The Checks plugin is named "check": its transitions are check.failed / check.resolved.
        try r.subscribe("check.failed") { event in
            guard let agentID = event.json["agent_id"]?.stringValue else { return }
            if let eventID = event.json["event_id"]?.intValue, await !self.firstTime(checkEvent: eventID) { return }
            await self.fire(agentID: agentID, type: .checkfailure, check: event.json["check_id"]?.intValue)
        }
    }

    /// Whether this check.failed is seen for the first time (Schema.v3): a replayed one fires
    /// nothing. When the table cannot be read the tasks fire: a missed failure is worse.
    func firstTime(checkEvent id: Int) async -> Bool {
        do {
            let rows = try await host.queryRows(
                """
                WITH old AS (DELETE FROM fired_check_events WHERE at < now() - interval '1 hour')
                INSERT INTO fired_check_events (event_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING event_id
                """, [id])
            return !rows.isEmpty
        } catch {
            host.log(.warning, "check.failed #\(id): \(error)")
            return true
        }
    }

    static func encode(_ task: AutomatedTask) throws -> String {
        var copy = task
        copy.id = nil
        return String(decoding: try JSONEncoder().encode(copy), as: UTF8.self)
    }

    static func scheduleID(_ id: Int) -> String { "task-\(id)" }

    /// Puts the task's calendar in the host scheduler, or takes it out.
    func schedule(_ id: Int, _ task: AutomatedTask) async throws {
        guard task.enabled, let spec = try checked({ () throws(ScriptingError) in try TaskSchedule.hostSchedule(task) }) else {
            try? await host.cancelSchedule(id: Self.scheduleID(id))
            return
        }
        _ = try await host.upsertSchedule(
            JSON.object([
                "id": .string(Self.scheduleID(id)), "kind": .string(Self.jobKind),
                "schedule": .object(spec), "payload": ["task_id": .number(Double(id))], "max_attempts": 1,
            ]))
    }

    /// Sends `runtask`: the agent then fetches the actions. Queued while the agent is offline.
    func runTask(_ id: Int, reason: String) async throws {
        guard let task = try await load(id), task.enabled else { return }
        try host.agentSend(
            agentID: task.agentID,
            payload: JSON.object([
                "func": "runtask", "taskpk": .number(Double(id)),
                "_options": ["queue_if_offline": true, "username": .string("scripting:\(reason)")],
            ]))
    }

    /// onboarding and checkfailure tasks of one agent.
    func fire(agentID: String, type: AutomatedTask.TaskType, check: Int?) async {
        do {
            let rows = try await host.query(
                "SELECT id, agent_id, task FROM tasks WHERE agent_id = $1 AND task->>'task_type' = $2", [agentID, type.rawValue],
                as: Row.self)
            for row in rows where row.task.enabled {
                if type == .checkfailure, let assigned = row.task.assignedCheck, assigned != check { continue }
                if type == .onboarding {
                    struct Claimed: Decodable { let id: Int }
                    let claimed = try await host.query(
                        "UPDATE tasks SET onboarded = true WHERE id = $1 AND NOT onboarded RETURNING id", [row.id], as: Claimed.self)
                    if claimed.isEmpty { continue }
                }
                try await runTask(row.id, reason: type.rawValue)
            }
        } catch {
            host.log(.error, "\(type.rawValue) tasks of \(agentID): \(error)")
        }
    }

    /// The task behind a taskrunner URL, only for the agent that owns it (the spec's 400).
    func agentTask(_ req: PluginRequest) async throws -> (AutomatedTask, String) {
        let agentID = req.params["agent_id"] ?? ""
        guard req.principal["agent_id"]?.stringValue == agentID else { throw PluginHTTPError(403, "Not this agent's task runner.") }
        guard let text = req.params["pk"], let id = Int(text), let task = try await load(id), task.agentID == agentID else {
            throw PluginHTTPError(400, "")
        }
        return (task, agentID)
    }

    /// Stores the run (result per agent, a task_run history row through the host is not
    /// possible without sending; the result table is the record) and raises task.failed /
    /// task.resolved on a change of state.
    func store(_ task: AutomatedTask, agentID: String, _ result: TaskRunResult) async throws {
        struct Previous: Decodable { let previous: String? }
        let previous = try await host.query(
            """
            WITH old AS (SELECT status FROM task_results WHERE task_id = $1 AND agent_id = $2)
            INSERT INTO task_results (task_id, agent_id, status, retcode, stdout, stderr, execution_time) VALUES ($1, $2, $3, $4::int, $5, $6, $7::float8)
            ON CONFLICT (task_id, agent_id) DO UPDATE SET status = excluded.status, retcode = excluded.retcode, stdout = excluded.stdout,
                stderr = excluded.stderr, execution_time = excluded.execution_time, last_run = now(), runs = task_results.runs + 1
            RETURNING (SELECT status FROM old) AS previous
            """, [task.id ?? 0, agentID, result.status, result.retcode, result.stdout, result.stderr, result.executionTime],
            as: Previous.self
        ).first?.previous
        let event: [String: JSON] = [
            "task_id": .number(Double(task.id ?? 0)), "agent_id": .string(agentID), "name": .string(task.name),
            "retcode": .number(Double(result.retcode)), "stdout": .string(result.stdout), "stderr": .string(result.stderr),
            "severity": .string(task.alertSeverity), "email_alert": .bool(task.emailAlert), "text_alert": .bool(task.textAlert),
            "dashboard_alert": .bool(task.dashboardAlert),
        ]
        if result.status == "failing", previous != "failing" {
            try host.publish(event: "scripting.task.failed", json: JSON.object(event))
        } else if result.status == "passing", previous == "failing" {
            try host.publish(event: "scripting.task.resolved", json: JSON.object(event))
        }
    }

    func all(agentID: String?) async throws -> [JSON] {
        let rows =
            agentID == nil
            ? try await host.query("SELECT id, agent_id, task FROM tasks ORDER BY id", as: Row.self)
            : try await host.query("SELECT id, agent_id, task FROM tasks WHERE agent_id = $1 ORDER BY id", [agentID!], as: Row.self)
        var out: [JSON] = []
        for row in rows {
            var task = row.task
            task.id = row.id
            out.append(try await render(task))
        }
        return out
    }

    func render(_ task: AutomatedTask) async throws -> JSON {
        guard case .object(var object) = try JSON(parsing: JSONEncoder().encode(task)) else { return .null }
        let results = try JSON(
            parsing: try await host.queryJSON(
                """
                SELECT agent_id, status, retcode, stdout, stderr, execution_time, last_run::text AS last_run, runs FROM task_results WHERE task_id = $1
                """, [task.id ?? 0]))
        object["task_result"] = results[0] ?? .null
        return .object(object)
    }
}
