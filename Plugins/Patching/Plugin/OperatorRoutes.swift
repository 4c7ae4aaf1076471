import Foundation
import PatchingCore
import PluginKit

/// `/winupdate/`: Tactical RMM's operator routes (AgentWinUpdatePerms: can_manage_winupdates
/// plus the agent's scope; an agent outside the scope answers 404).
extension Patching {
    static let permission = "can_manage_winupdates"

    func registerOperatorRoutes(_ r: Registrar) throws {
        try r.route(.get, "/winupdate/<agent_id>/", permission: Self.permission) { req in try await self.list(req) }
        try r.route(.get, "/winupdate/<agent_id>/policy/", permission: Self.permission) { req in try await self.agentPolicy(req) }
        try r.route(.post, "/winupdate/<agent_id>/scan/", permission: Self.permission) { req in try await self.scan(req) }
        try r.route(.post, "/winupdate/<agent_id>/install/", permission: Self.permission) { req in try await self.installNow(req) }
        try r.route(.put, "/winupdate/<pk>/", permission: Self.permission) { req in try await self.edit(req) }
    }

    static func agentIDParam(_ req: PluginRequest) throws -> String {
        guard let id = req.params["agent_id"], !id.isEmpty, id.utf8.count <= 255, !id.utf8.contains(0) else {
            throw PluginHTTPError(400, "Path parameter 'agent_id' must be an agent id.")
        }
        return id
    }

    /// `GET /winupdate/<agent_id>/`: every update of the agent, newest id first, rendered by
    /// the database (a list of hundreds costs no JSON tree here). date_installed is
    /// "MM DD YYYY HH:MM" in the default time zone, as Tactical RMM renders it.
    func list(_ req: PluginRequest) async throws -> PluginResponse {
        let agent = try await visibleAgent(req, try Self.agentIDParam(req))
        struct L: Decodable { let list: String }
        let rows: [L] = try await host.query(
            """
            SELECT coalesce(json_agg(json_build_object('id', id, 'agent', agent_pk, 'guid', guid, 'kb', kb, 'title', title,
                'installed', installed, 'downloaded', downloaded, 'description', description, 'severity', severity,
                'categories', categories, 'category_ids', category_ids, 'kb_article_ids', kb_article_ids,
                'more_info_urls', more_info_urls, 'support_url', support_url, 'revision_number', revision_number,
                'action', action, 'result', result,
                'date_installed', to_char(date_installed AT TIME ZONE $2, 'MM DD YYYY HH24:MI')) ORDER BY id DESC), '[]')::text AS list
            FROM updates WHERE agent_id = $1
            """, [agent.agent_id, settings.defaultTimeZone])
        return PluginResponse(status: 200, contentType: "application/json", body: Data((rows.first?.list ?? "[]").utf8))
    }

    /// `GET /winupdate/<agent_id>/policy/` (Garrison): {"winupdatepolicy": [own],
    /// "effective_patch_policy": {...}} -- what Tactical RMM shows inside the agent object.
    func agentPolicy(_ req: PluginRequest) async throws -> PluginResponse {
        let agent = try await visibleAgent(req, try Self.agentIDParam(req))
        let own = try JSON(parsing: Data(try await ownPolicyText(agent).utf8))
        let effective = try await effectivePolicy(agent)
        let effectiveJSON = try JSON(parsing: try JSONEncoder().encode(effective))
        return try .json(JSON.object(["winupdatepolicy": .array([own]), "effective_patch_policy": effectiveJSON]))
    }

    /// `POST /winupdate/<agent_id>/scan/`: getwinupdates (the agent posts its scan back).
    func scan(_ req: PluginRequest) async throws -> PluginResponse {
        let agent = try await visibleAgent(req, try Self.agentIDParam(req))
        guard agent.isPatchable else { throw PluginHTTPError(400, "Not available for \(agent.plat ?? "")") }
        if agent.isLinux {
            Task { await self.linuxScan(agent) }
            try? host.audit(action: "winupdate.scan", username: req.username, agentID: agent.agent_id)
            return try .json(JSON.string("A package update scan will be performed on \(agent.hostname)"))
        }
        do { try host.agentSend(agentID: agent.agent_id, payload: ["func": "getwinupdates"] as JSON) } catch {
            throw PluginHTTPError(503, "The agent bus is unavailable; try again.")
        }
        try? host.audit(action: "winupdate.scan", username: req.username, agentID: agent.agent_id)
        return try .json(JSON.string("A Windows update scan will be performed on \(agent.hostname)"))
    }

    /// `POST /winupdate/<agent_id>/install/`: cleanup, approvals by the effective policy, then
    /// installwinupdates with every approved GUID, at once (no schedule, no once-a-day guard).
    func installNow(_ req: PluginRequest) async throws -> PluginResponse {
        let agent = try await visibleAgent(req, try Self.agentIDParam(req))
        guard agent.isPatchable else { throw PluginHTTPError(400, "Not available for \(agent.plat ?? "")") }
        await cleanupSuperseded(agent.agent_id)
        try await approve(agent.agent_id, policy: try await effectivePolicy(agent))
        let sent: Bool
        do { sent = try await sendInstall(agent) } catch let error as PluginError {
            host.log(.notice, "installwinupdates to \(agent.agent_id): \(error)")
            throw PluginHTTPError(503, "The agent bus is unavailable; try again.")
        }
        guard sent else {
            throw PluginHTTPError(
                400,
                "No approved updates on \(agent.hostname): approve updates (PUT /winupdate/<pk>/ with action approve) or set the patch policy to approve their severity."
            )
        }
        try? host.audit(action: "winupdate.install", username: req.username, agentID: agent.agent_id)
        return try .json(JSON.string("Approved patches will now be installed on \(agent.hostname)"))
    }

    /// `PUT /winupdate/<pk>/`: {"action": "approve" | "ignore" | "nothing"}.
    func edit(_ req: PluginRequest) async throws -> PluginResponse {
        let pk = try req.intParam("pk")
        let body = try req.jsonValue()
        guard let action = body["action"] else { throw PluginHTTPError(400, "action is required: approve, ignore or nothing.") }
        guard let text = action.stringValue, ["approve", "ignore", "nothing"].contains(text) else {
            throw PluginHTTPError(400, "action must be one of approve, ignore, nothing.")
        }
        struct Row: Decodable { let agent_id: String; let kb: String }
        guard let row = try await host.query("SELECT agent_id, kb FROM updates WHERE id = $1", [pk], as: Row.self).first else {
            throw PluginHTTPError(404, "No WinUpdate matches the given query.")
        }
        _ = try await visibleAgent(req, row.agent_id)
        try await host.execute("UPDATE updates SET action = $2 WHERE id = $1", [pk, text])
        try? host.audit(
            action: "winupdate.action", username: req.username, agentID: row.agent_id, object: "winupdate:\(pk)",
            detail: ["kb": .string(row.kb), "action": .string(text)])
        return try .json(JSON.string("Windows update \(row.kb) was changed to \(text)"))
    }
}
