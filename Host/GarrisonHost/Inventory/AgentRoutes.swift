import Foundation
import Hummingbird
import NIOCore

/// The operator's agent table and agent detail (`/agents/`, `/agents/<agent_id>/`).
enum AgentRoutes {
    static func routes(_ host: HostContext, commander: AgentCommander) -> [Route] {
        [
            Route(
                .get, "/agents/", access: .permission("can_list_agents"),
                summary:
                    "Agents; filter with client, site, monitoring_type, plat, status, search; page with page and page_size; detail=false for the short form"
            ) { call in
                let filter = try AgentQueries.Filter(call.query)
                let (whereSQL, params) = filter.whereClause(scope: try call.user.scope)
                guard let page = try call.queryInt("page", in: RequestInteger.page) else {
                    let rows = try await host.pool.query(
                        "SELECT \(AgentQueries.listColumns) \(AgentQueries.from) \(whereSQL) ORDER BY a.hostname, a.id", params
                    ).rows
                    // Tactical RMM's detail=false (any value but "true"): the short form.
                    let short = call.query["detail"].map { $0 != "true" } ?? false
                    if short { return Responses.json(.array(rows.map { AgentQueries.renderShort($0) })) }
                    return Responses.json(.array(await host.agentMembers.complete(rows.map { AgentQueries.render($0) }, .list, for: call)))
                }
                let size = try call.queryInt("page_size", in: 1...1000, default: 50) ?? 50
                // Both bounded above (page to 32 bits), so the offset cannot overflow.
                let pageParams = params + [String(size), String((page - 1) * size)]
                // One round trip: the window count rides along with the page.
                let rows = try await host.pool.query(
                    """
                    SELECT \(AgentQueries.listColumns), count(*) OVER () AS total_count \(AgentQueries.from) \(whereSQL)
                    ORDER BY a.hostname, a.id LIMIT $\(params.count + 1) OFFSET $\(params.count + 2)
                    """, pageParams
                ).rows
                var total = rows.first?.int("total_count") ?? 0
                if rows.isEmpty, page > 1 {
                    total = try await host.pool.query("SELECT count(*) AS n \(AgentQueries.from) \(whereSQL)", params).first?.int("n") ?? 0
                }
                return Responses.json([
                    "count": .init(total), "page": .init(page), "page_size": .init(size),
                    "results": .array(await host.agentMembers.complete(rows.map { AgentQueries.render($0) }, .list, for: call)),
                ])
            },
            Route(.get, "/agents/<agent_id>/", access: .permission("can_list_agents"), summary: "One agent in detail") { call in
                let agent = AgentQueries.render(try await load(host, call), detail: true)
                return Responses.json(
                    await host.agentMembers.complete(
                        CustomFieldValues.restShaped(
                            agent, owner: "agent", definitions: try await CustomFieldDefinition.load(host.pool, model: "agent")),
                        .detail, for: call))
            },
            Route(
                .put, "/agents/<agent_id>/", access: .permission("can_edit_agent"),
                summary: "Edit an agent (site, intervals, alerts, maintenance)"
            ) { call in
                let before = try await load(host, call)
                let body = try call.object()
                let fields = FieldReader(body.fields["agent"]?.objectValue ?? body.fields)
                let edit = try AgentEdit(fields)
                let user = try call.user
                var newClient: Int?
                if let site = edit.site {
                    guard let row = try await host.pool.query("SELECT client_id FROM sites WHERE id = $1", [String(site)]).first else {
                        throw APIError.badRequest("Site \(site) does not exist.")
                    }
                    newClient = row.int("client_id")
                    guard user.scope.allows(clientID: newClient!, siteID: site) else {
                        throw APIError.forbidden("Your role cannot move agents to site \(site).")
                    }
                }
                let custom = try await CustomFieldValues.storable(
                    body.fields["custom_fields"], owner: "agent", current: .fromDatabase(before["custom_fields"], fallback: [:]),
                    pool: host.pool)
                let agentID = before.string("agent_id")
                let clientID = newClient
                // Plugins' members (winupdatepolicy...): each checks its value before anything
                // is stored, and stores it once the host's own fields are in.
                let memberWrites = host.agentMembers.written(
                    in: (body.fields["agent"]?.objectValue ?? [:]).merging(body.fields) { _, top in top })
                do {
                    try await host.agentMembers.check(memberWrites, agentID: agentID, for: call)
                } catch let refusal as AgentMemberRefusal {
                    return Response(
                        status: .init(code: refusal.status), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: refusal.body)))
                }
                let after = try await host.pool.transaction { connection in
                    try connection.query(
                        """
                        UPDATE agents SET site_id = coalesce($2::bigint, site_id), client_id = coalesce($3::bigint, client_id),
                            description = coalesce($4, description), monitoring_type = coalesce($5, monitoring_type),
                            offline_time = coalesce($6::int, offline_time), overdue_time = coalesce($7::int, overdue_time),
                            check_interval = coalesce($8::int, check_interval), overdue_email_alert = coalesce($9::boolean, overdue_email_alert),
                            overdue_text_alert = coalesce($10::boolean, overdue_text_alert), overdue_dashboard_alert = coalesce($11::boolean, overdue_dashboard_alert),
                            maintenance_mode = coalesce($12::boolean, maintenance_mode), block_policy_inheritance = coalesce($13::boolean, block_policy_inheritance),
                            time_zone = CASE WHEN $14::boolean THEN $15 ELSE time_zone END,
                            custom_fields = coalesce($16::jsonb, custom_fields), modified_time = now()
                        WHERE agent_id = $1
                        """,
                        [
                            agentID, edit.site.map(String.init), clientID.map(String.init), edit.description, edit.monitoringType,
                            edit.offlineTime.map(String.init), edit.overdueTime.map(String.init), edit.checkInterval.map(String.init),
                            edit.flag("overdue_email_alert"), edit.flag("overdue_text_alert"), edit.flag("overdue_dashboard_alert"),
                            edit.flag("maintenance_mode"), edit.flag("block_policy_inheritance"), edit.setsTimeZone ? "t" : "f",
                            edit.timeZone,
                            custom?.databaseText,
                        ])
                    try PolicyAssignment.apply(connection, table: "agents", id: agentID, idColumn: "agent_id", fields: fields)
                    let after = try connection.query(
                        "SELECT \(AgentQueries.detailColumns) \(AgentQueries.from) WHERE a.agent_id = $1", [agentID]
                    ).first!
                    try AuditLog.record(
                        .init(
                            call, .modify, "agent", "Modified agent \(before.string("hostname"))",
                            before: AgentQueries.render(before), after: AgentQueries.render(after), agentID: agentID,
                            agentHostname: before.string("hostname")), on: connection)
                    return after
                }
                try await host.agentMembers.store(memberWrites, agentID: agentID, for: call, logger: host.logger)
                return Responses.json(
                    await host.agentMembers.complete(
                        CustomFieldValues.restShaped(
                            AgentQueries.render(after, detail: true), owner: "agent",
                            definitions: try await CustomFieldDefinition.load(host.pool, model: "agent")),
                        .detail, for: call))
            },
            Route(.delete, "/agents/<agent_id>/", access: .permission("can_uninstall_agents"), summary: "Remove an agent") { call in
                let before = try await load(host, call)
                let agentID = before.string("agent_id")
                // Tell the agent to uninstall itself first, without waiting: it answers and exits,
                // and its NATS user goes with the row, so there is no second chance (docs/agent-protocol.md §4.7).
                let uninstall = AgentCommand("uninstall", fields: ["code": .string(UninstallScript.code(plat: before.string("plat")))])
                let reached = commander.bus.publish(agentID: agentID, uninstall)
                try await host.pool.transaction { connection in
                    try connection.query("DELETE FROM agents WHERE agent_id = $1", [agentID])
                    try AuditLog.record(
                        .init(
                            call, .delete, "agent", "Deleted agent \(before.string("hostname"))", before: AgentQueries.render(before),
                            agentID: agentID, agentHostname: before.string("hostname")), on: connection)
                }
                host.authenticator.invalidateAll()
                // Plugins drop what they keep for it (checks, results).
                host.events.publish("agent.deleted", ["agent_id": .string(agentID)])
                // Its nats-server user goes too, which also ends a connection it still holds.
                await commander.bus.agentsChanged()
                let note = reached ? "" : " The agent bus is down: the agent was removed here but did not get the uninstall command."
                return Responses.message("\(before.string("hostname")) will now be uninstalled.\(note)")
            },
        ]
    }

    /// The agent named in the path, if the caller's role may see it; otherwise 404, so a
    /// scoped operator cannot even learn that an agent outside the scope exists.
    static func load(_ host: HostContext, _ call: Call) async throws -> PGRow {
        try await load(host, call, columns: "\(AgentQueries.detailColumns) \(AgentQueries.from)")
    }

    /// What a command to the agent needs, without the inventory (services, disks, WMI):
    /// commands are on the ping path, where every row read counts.
    static func loadForCommand(_ host: HostContext, _ call: Call) async throws -> PGRow {
        try await load(
            host, call, columns: "a.agent_id, a.hostname, a.plat, a.goarch, a.version, a.time_zone, a.client_id, a.site_id FROM agents a")
    }

    private static func load(_ host: HostContext, _ call: Call, columns: String) async throws -> PGRow {
        let agentID = call.param("agent_id")
        guard let row = try await host.pool.query("SELECT \(columns) WHERE a.agent_id = $1", [agentID]).first,
            try call.user.scope.allows(clientID: row.int("client_id"), siteID: row.int("site_id"))
        else {
            throw APIError.notFound("No agent with id \(agentID).")
        }
        return row
    }
}

/// The editable fields of an agent, validated so that the agent never receives a
/// non-positive interval (a zero interval makes the real agent spin).
struct AgentEdit {
    var site: Int?
    var description: String?
    var monitoringType: String?
    var offlineTime: Int?
    var overdueTime: Int?
    var checkInterval: Int?
    var timeZone: String?
    var setsTimeZone = false
    var flags: [String: Bool] = [:]

    init(_ fields: FieldReader) throws {
        site = try fields.optionalInt("site", in: RequestInteger.id)
        description = try fields.optionalString("description")
        monitoringType = try fields.optionalString("monitoring_type")
        if let type = monitoringType, !["server", "workstation"].contains(type) {
            throw APIError.badRequest("Field 'monitoring_type' must be 'server' or 'workstation'.")
        }
        // Minutes, minutes, seconds.
        offlineTime = try fields.optionalInt("offline_time", in: 1...43_200)
        overdueTime = try fields.optionalInt("overdue_time", in: 1...43_200)
        checkInterval = try fields.optionalInt("check_interval", in: 15...86_400)
        if fields.has("time_zone") { setsTimeZone = true; timeZone = try fields.optionalString("time_zone") }
        for name in [
            "overdue_email_alert", "overdue_text_alert", "overdue_dashboard_alert", "maintenance_mode", "block_policy_inheritance",
        ] {
            if let value = try fields.optionalBool(name) { flags[name] = value }
        }
    }

    func flag(_ name: String) -> String? { flags[name].map { $0 ? "t" : "f" } }
}
