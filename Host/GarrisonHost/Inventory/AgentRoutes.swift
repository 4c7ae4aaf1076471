import Foundation
import Hummingbird
import NIOCore

/// The operator's agent table and agent detail (`/agents/`, `/agents/<agent_id>/`): the table
/// names each route's handler; the SQL is AgentQueries'.
struct AgentRoutes {
    let host: HostContext
    let commander: AgentCommander

    static func routes(_ host: HostContext, commander: AgentCommander) -> [Route] {
        let routes = AgentRoutes(host: host, commander: commander)
        return [
            Route(
                .get, "/agents/", access: .permission("can_list_agents"),
                summary:
                    "Agents; filter with client, site, monitoring_type, plat, status, search; page with page and page_size; detail=false for the short form",
                handler: routes.list),
            Route(.get, "/agents/<agent_id>/", access: .permission("can_list_agents"), summary: "One agent in detail", handler: routes.show),
            Route(
                .put, "/agents/<agent_id>/", access: .permission("can_edit_agent"), summary: "Edit an agent (site, intervals, alerts, maintenance)",
                handler: routes.edit),
            Route(.delete, "/agents/<agent_id>/", access: .permission("can_uninstall_agents"), summary: "Remove an agent", handler: routes.delete),
        ]
    }

    @Sendable func list(_ call: Call) async throws -> Response {
        let filter = try AgentQueries.Filter(call.query)
        let (whereSQL, params) = filter.whereClause(scope: try call.user.scope)
        guard let page = try call.queryInt("page", in: RequestInteger.page) else {
            let rows = try await AgentQueries.all(host.pool, where: whereSQL, params)
            // Tactical RMM's detail=false (any value but "true"): the short form.
            let short = call.query["detail"].map { $0 != "true" } ?? false
            if short { return Responses.json(.array(rows.map { AgentQueries.renderShort($0) })) }
            return Responses.json(.array(await host.agentMembers.complete(rows.map { AgentQueries.render($0) }, .list, for: call)))
        }
        let size = try call.queryInt("page_size", in: 1...1000, default: 50) ?? 50
        let (rows, total) = try await AgentQueries.page(host.pool, where: whereSQL, params, size: size, page: page)
        return Responses.json([
            "count": .init(total), "page": .init(page), "page_size": .init(size),
            "results": .array(await host.agentMembers.complete(rows.map { AgentQueries.render($0) }, .list, for: call)),
        ])
    }

    @Sendable func show(_ call: Call) async throws -> Response {
        let agent = AgentQueries.render(try await Self.load(host, call), detail: true)
        return Responses.json(await host.agentMembers.complete(try await customFieldsShaped(agent), .detail, for: call))
    }

    @Sendable func edit(_ call: Call) async throws -> Response {
        let before = try await Self.load(host, call)
        let body = try call.object()
        let fields = FieldReader(body.fields["agent"]?.objectValue ?? body.fields)
        let edit = try AgentEdit(fields)
        var newClient: Int?
        if let site = edit.site {
            guard let client = try await AgentQueries.clientOf(site: site, host.pool) else {
                throw APIError.badRequest("Site \(site) does not exist.")
            }
            guard try call.user.scope.allows(clientID: client, siteID: site) else {
                throw APIError.forbidden("Your role cannot move agents to site \(site).")
            }
            newClient = client
        }
        let custom = try await CustomFieldValues.storable(
            body.fields["custom_fields"], owner: "agent", current: .fromDatabase(before["custom_fields"], fallback: [:]), pool: host.pool)
        let agentID = before.string("agent_id")
        // Plugins' members (winupdatepolicy...): each checks its value before anything
        // is stored, and stores it once the host's own fields are in.
        let memberWrites = host.agentMembers.written(in: (body.fields["agent"]?.objectValue ?? [:]).merging(body.fields) { _, top in top })
        do {
            try await host.agentMembers.check(memberWrites, agentID: agentID, for: call)
        } catch let refusal as AgentMemberRefusal {
            return Response(
                status: .init(code: refusal.status), headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: refusal.body)))
        }
        let clientID = newClient
        let after = try await host.pool.transaction { connection in
            let after = try AgentQueries.update(connection, agentID: agentID, edit, client: clientID, customFields: custom)
            try PolicyAssignment.apply(connection, table: "agents", id: agentID, idColumn: "agent_id", fields: fields)
            try AuditLog.record(
                .init(
                    call, .modify, "agent", "Modified agent \(before.string("hostname"))", before: AgentQueries.render(before),
                    after: AgentQueries.render(after), agentID: agentID, agentHostname: before.string("hostname")), on: connection)
            return after
        }
        try await host.agentMembers.store(memberWrites, agentID: agentID, for: call, logger: host.logger)
        // Moved to another site: who may reach it changed (the MeshCentral bridge syncs the
        // device's users on it).
        if before.string("site_id") != after.string("site_id") {
            host.events.publish("agent.moved", ["agent_id": .string(agentID)])
        }
        let shaped = try await customFieldsShaped(AgentQueries.render(after, detail: true))
        return Responses.json(await host.agentMembers.complete(shaped, .detail, for: call))
    }

    @Sendable func delete(_ call: Call) async throws -> Response {
        let before = try await Self.load(host, call)
        let agentID = before.string("agent_id")
        // Tell the agent to uninstall itself first, without waiting: it answers and exits,
        // and its NATS user goes with the row, so there is no second chance (docs/agent-protocol.md §4.7).
        let uninstall = AgentCommand("uninstall", fields: ["code": .string(UninstallScript.code(plat: before.string("plat")))])
        let reached = commander.bus.publish(agentID: agentID, uninstall)
        try await host.pool.transaction { connection in
            try AgentQueries.delete(connection, agentID: agentID)
            try AuditLog.record(
                .init(
                    call, .delete, "agent", "Deleted agent \(before.string("hostname"))", before: AgentQueries.render(before),
                    agentID: agentID, agentHostname: before.string("hostname")), on: connection)
        }
        host.authenticator.invalidateAll()
        // Plugins drop what they keep for it (checks, results); the mesh node id goes along
        // because the row is gone by now and the MeshCentral bridge removes that device.
        host.events.publish("agent.deleted", ["agent_id": .string(agentID), "mesh_node_id": .string(before.string("mesh_node_id"))])
        // Its nats-server user goes too, which also ends a connection it still holds.
        await commander.bus.agentsChanged()
        let note = reached ? "" : " The agent bus is down: the agent was removed here but did not get the uninstall command."
        return Responses.message("\(before.string("hostname")) will now be uninstalled.\(note)")
    }

    /// Custom fields as Tactical RMM lists them ([{field, value}]).
    func customFieldsShaped(_ agent: JSON) async throws -> JSON {
        CustomFieldValues.restShaped(agent, owner: "agent", definitions: try await CustomFieldDefinition.load(host.pool, model: "agent"))
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
        guard let row = try await AgentQueries.load(host.pool, agentID: agentID, columns: columns),
            try call.user.scope.allows(clientID: row.int("client_id"), siteID: row.int("site_id"))
        else {
            throw APIError.notFound("No agent with id \(agentID).")
        }
        return row
    }
}
