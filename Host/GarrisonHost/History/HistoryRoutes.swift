import Foundation
import Hummingbird

/// Agent history (commands, scripts, tasks with their results) and pending actions.
enum HistoryRoutes {
    static func routes(_ host: HostContext, commander: AgentCommander, update: AgentUpdate) -> [Route] {
        [
            Route(
                .get, "/agents/<agent_id>/history/", access: .permission("can_list_agent_history"),
                summary: "The agent's command, script and task runs"
            ) { call in
                let agent = try await AgentRoutes.load(host, call)
                let limit = try pageLimit(call)
                let rows = try await host.pool.query(
                    "SELECT \(AgentHistoryStore.columns) FROM agent_history WHERE agent_id = $1 ORDER BY id DESC LIMIT $2",
                    [agent.string("agent_id"), String(limit)])
                return Responses.json(.array(rows.rows.map(AgentHistoryStore.render)))
            },
            Route(
                .get, "/agents/history/", access: .permission("can_list_agent_history"),
                summary: "Recent runs on every agent the role can see"
            ) { call in
                let limit = try pageLimit(call)
                var sql = "SELECT h.* FROM agent_history h JOIN agents a ON a.agent_id = h.agent_id"
                var params: [String?] = [String(limit)]
                if let scope = try call.user.scope.sqlCondition(siteColumn: "a.site_id", clientColumn: "a.client_id", nextParameter: 2) {
                    sql += " WHERE \(scope.sql)"
                    params += scope.params
                }
                let rows = try await host.pool.query(sql + " ORDER BY h.id DESC LIMIT $1", params)
                return Responses.json(.array(rows.rows.map(AgentHistoryStore.render)))
            },
            Route(
                .get, "/agents/scripthistory/", access: .permission("can_list_agent_history"),
                summary: "Script runs between start and end (ISO dates; end counts whole), optionally of one scriptname, newest first"
            ) { call in
                guard let start = call.query["start"], let end = call.query["end"], let from = isoDay(start), let to = isoDay(end) else {
                    throw APIError.badRequest("start and end are required, as ISO dates (2026-01-31 or 2026-01-31T08:00:00Z).")
                }
                var sql = """
                    SELECT h.id, h.agent_id, a.id AS agent_pk, h.username, h.script_name, h.script_results,
                        to_char(h.time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS time
                    FROM agent_history h JOIN agents a ON a.agent_id = h.agent_id
                    WHERE h.type = 'script_run' AND h.time >= $1::timestamptz AND h.time < $2::timestamptz + interval '1 day'
                    """
                var params: [String?] = [from, to, String(try pageLimit(call))]
                if let name = call.query["scriptname"], !name.isEmpty {
                    params.append(name)
                    sql += " AND h.script_name = $\(params.count)"
                }
                // Tactical RMM lists every agent's runs here; Garrison keeps to the role's scope.
                if let scope = try call.user.scope.sqlCondition(
                    siteColumn: "a.site_id", clientColumn: "a.client_id", nextParameter: params.count + 1)
                {
                    sql += " AND \(scope.sql)"
                    params += scope.params
                }
                let rows = try await host.pool.query(sql + " ORDER BY h.time DESC, h.id DESC LIMIT $3", params).rows
                return Responses.json(
                    .array(
                        rows.map { row in
                            [
                                "id": .init(row.int("id")), "time": .init(row.string("time")), "username": .init(row.string("username")),
                                "script": .null, "script_results": .fromDatabase(row["script_results"]),
                                "agent": .init(row.int("agent_pk")),
                                "script_name": .init(row.string("script_name")), "agent_id": .init(row.string("agent_id")),
                            ]
                        }))
            },
            Route(
                .get, "/agents/<agent_id>/pendingactions/", access: .permission("can_list_pendingactions"),
                summary: "The agent's pending actions"
            ) { call in
                let agent = try await AgentRoutes.load(host, call)
                let rows = try await host.pool.query(
                    """
                    SELECT \(PendingActionStore.columns), a.hostname, c.name AS client_name, s.name AS site_name
                    FROM pending_actions p JOIN agents a ON a.agent_id = p.agent_id JOIN clients c ON c.id = a.client_id JOIN sites s ON s.id = a.site_id
                    WHERE p.agent_id = $1 ORDER BY p.id DESC
                    """, [agent.string("agent_id")])
                return Responses.json(.array(rows.rows.map(PendingActionStore.render)))
            },
            Route(
                .get, "/logs/pendingactions/", access: .permission("can_list_pendingactions"),
                summary: "Pending actions (?status=pending|completed|cancelled|expired)"
            ) { call in
                var sql = """
                    SELECT \(PendingActionStore.columns), a.hostname, c.name AS client_name, s.name AS site_name
                    FROM pending_actions p JOIN agents a ON a.agent_id = p.agent_id JOIN clients c ON c.id = a.client_id JOIN sites s ON s.id = a.site_id
                    WHERE TRUE
                    """
                var params: [String?] = []
                if let status = call.query["status"] {
                    guard ["pending", "completed", "cancelled", "expired"].contains(status) else {
                        throw APIError.badRequest("status must be pending, completed, cancelled or expired.")
                    }
                    params.append(status)
                    sql += " AND p.status = $\(params.count)"
                }
                if let scope = try call.user.scope.sqlCondition(
                    siteColumn: "a.site_id", clientColumn: "a.client_id", nextParameter: params.count + 1)
                {
                    sql += " AND \(scope.sql)"
                    params += scope.params
                }
                let rows = try await host.pool.query(sql + " ORDER BY p.id DESC LIMIT 5000", params)
                return Responses.json(.array(rows.rows.map(PendingActionStore.render)))
            },
            Route(
                .delete, "/logs/pendingactions/<pk>/", access: .permission("can_manage_pendingactions"), summary: "Cancel a pending action"
            ) { call in
                let pk = try call.intParam("pk")
                guard
                    let row = try await host.pool.query(
                        "SELECT p.agent_id, p.action_type, p.status, a.client_id, a.site_id, a.hostname FROM pending_actions p JOIN agents a ON a.agent_id = p.agent_id WHERE p.id = $1",
                        [String(pk)]
                    ).first,
                    try call.user.scope.allows(clientID: row.int("client_id"), siteID: row.int("site_id"))
                else {
                    throw APIError.notFound("No pending action \(pk).")
                }
                let cancelled = try await host.pool.query(
                    "UPDATE pending_actions SET status = 'cancelled' WHERE id = $1 AND status = 'pending'", [String(pk)]
                ).affectedRows
                guard cancelled == 1 else {
                    throw APIError.badRequest("Pending action \(pk) is \(row.string("status")) and can no longer be cancelled.")
                }
                await host.audit(
                    call, .delete, "pendingaction", "Cancelled \(row.string("action_type")) for \(row.string("hostname"))",
                    agentID: row.string("agent_id"), agentHostname: row.string("hostname"))
                return Responses.message("Pending action \(pk) cancelled.")
            },
            Route(
                .post, "/agents/update/", access: .permission("can_update_agents"),
                summary: "Update agents to the configured latest version"
            ) { call in
                let ids = try call.object().optionalStringArray("agent_ids") ?? []
                guard !ids.isEmpty else { throw APIError.badRequest("Field 'agent_ids' must list at least one agent.") }
                let rows = try await host.pool.query(
                    "SELECT a.agent_id, a.version, a.plat, a.goarch, a.client_id, a.site_id FROM agents a WHERE a.agent_id = ANY($1::text[])",
                    [PGArray.literal(ids)]
                ).rows
                let user = try call.user
                let visible = rows.filter { user.scope.allows(clientID: $0.int("client_id"), siteID: $0.int("site_id")) }
                // Every id named must exist and be in scope: one that is not is a 404, and nothing is sent.
                let known = Set(visible.map { $0.string("agent_id") })
                if let missing = ids.first(where: { !known.contains($0) }) { throw APIError.notFound("No agent with id \(missing).") }
                let sent = try await update.send(to: visible, commander: commander, username: user.username)
                await host.audit(
                    call, .bulkAction, "agent", "Agent update to \(update.latestVersion) sent to \(sent.count) agents", after: .init(sent))
                return Responses.json(["sent": .init(sent), "version": .string(update.latestVersion)])
            },
        ]
    }

    /// An ISO 8601 date or date-time as PostgreSQL reads it, or nil: only digits, '-', ':',
    /// 'T', 'Z', '.', '+' and at most 40 characters, so nothing else reaches the cast.
    static func isoDay(_ text: String) -> String? {
        let allowed = Set("0123456789-:TZ.+ ")
        guard (10...40).contains(text.count), text.allSatisfy(allowed.contains), text.prefix(4).allSatisfy(\.isNumber) else { return nil }
        return text
    }

    static func pageLimit(_ call: Call) throws -> Int {
        try call.queryInt("limit", in: 1...10_000, default: 500) ?? 500
    }
}
