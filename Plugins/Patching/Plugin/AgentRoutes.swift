import Foundation
import PatchingCore
import PluginKit

/// The agent's Windows update calls (docs/agent-protocol.md), authenticated by the agent's
/// token: the agent is the token's; an agent_id in the body must be the same one (403).
extension Patching {
    func registerAgentRoutes(_ r: Registrar) throws {
        try r.route(.post, "/api/v3/winupdates/", permission: "agent") { req in try await self.scanUpload(req) }
        try r.route(.patch, "/api/v3/winupdates/", permission: "agent") { req in try await self.installResult(req) }
        try r.route(.put, "/api/v3/winupdates/", permission: "agent") { req in try await self.installDone(req) }
        try r.route(.post, "/api/v3/superseded/", permission: "agent") { req in try await self.superseded(req) }
    }

    /// The calling agent and the request body, after the body's agent_id is checked.
    func caller(_ req: PluginRequest) async throws -> (Agent, JSON) {
        guard req.principal["kind"]?.stringValue == "agent", let agentID = req.principal["agent_id"]?.stringValue else {
            throw PluginHTTPError(401, "Authentication credentials were not provided.")
        }
        let body = try req.jsonValue()
        if let claimed = try checked({ () throws(PatchInputError) in try AgentBodies.claimedAgent(body) }), claimed != agentID {
            throw PluginHTTPError(403, "agent_id does not match the token")
        }
        guard let agent = try await loadAgent(agentID) else { throw PluginHTTPError(404, "Not found.") }
        return (agent, body)
    }

    /// `POST /api/v3/winupdates/`: every item is checked first, then all are written in one
    /// statement (nothing is half-stored). A known GUID changes only installed/downloaded; a
    /// new one with a KB becomes a row; one without a KB is skipped.
    func scanUpload(_ req: PluginRequest) async throws -> PluginResponse {
        let (agent, body) = try await caller(req)
        let packages = try checked { () throws(PatchInputError) in try WUAPackage.list(from: body) }
        try await store(packages, agentID: agent.agent_id, agentPK: agent.id)
        await cleanupSuperseded(agent.agent_id)
        return try .json(JSON.string("ok"))
    }

    struct StoredItem: Encodable {
        let package: WUAPackage
        let kb: String?
        let ord: Int
        func encode(to encoder: any Encoder) throws {
            try package.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(kb, forKey: .kb)
            try c.encode(ord, forKey: .ord)
        }
        enum Keys: String, CodingKey { case kb, ord }
    }

    static let storeSQL = """
        WITH input AS (
            SELECT DISTINCT ON (r.guid) r.* FROM jsonb_to_recordset($3::jsonb) AS r(
                guid text, kb text, title text, description text, categories jsonb, category_ids jsonb, kb_article_ids jsonb,
                more_info_urls jsonb, support_url text, revision_number integer, severity text, installed boolean, downloaded boolean, ord integer)
            ORDER BY r.guid, r.ord
        ),
        known AS (
            UPDATE updates u SET installed = i.installed, downloaded = i.downloaded
            FROM input i WHERE u.agent_id = $1 AND u.guid = i.guid RETURNING u.guid
        )
        INSERT INTO updates (agent_id, agent_pk, guid, kb, title, description, installed, downloaded, severity, categories,
            category_ids, kb_article_ids, more_info_urls, support_url, revision_number)
        SELECT $1, $2::bigint, i.guid, i.kb, i.title, i.description, i.installed, i.downloaded, i.severity, i.categories,
            i.category_ids, i.kb_article_ids, i.more_info_urls, i.support_url, i.revision_number
        FROM input i WHERE i.kb IS NOT NULL AND NOT EXISTS (SELECT 1 FROM updates u WHERE u.agent_id = $1 AND u.guid = i.guid)
        ORDER BY i.ord
        ON CONFLICT (agent_id, guid) DO NOTHING
        """

    /// `kbs` replaces the KB of each package (Linux packages: the package name).
    func store(_ packages: [WUAPackage], agentID: String, agentPK: Int, kbs: [String]? = nil) async throws {
        let items = packages.enumerated().map { StoredItem(package: $0.element, kb: kbs?[$0.offset] ?? $0.element.kb, ord: $0.offset) }
        let text = String(decoding: try JSONEncoder().encode(items), as: UTF8.self)
        try await host.execute(Self.storeSQL, [agentID, agentPK, text])
    }

    /// `PATCH /api/v3/winupdates/`: one install attempt. Success marks the update installed;
    /// a failure only records "failed" (it stays approved and is tried again at the next
    /// install). A GUID the agent has no row for is a 400.
    func installResult(_ req: PluginRequest) async throws -> PluginResponse {
        let (agent, body) = try await caller(req)
        let (guid, success) = try checked { () throws(PatchInputError) in try AgentBodies.result(body) }
        let rows: [CountRow] = try await host.query(
            """
            WITH changed AS (
                UPDATE updates SET result = CASE WHEN $3 THEN 'success' ELSE 'failed' END,
                    installed = installed OR $3, downloaded = downloaded OR $3,
                    date_installed = CASE WHEN $3 THEN now() ELSE date_installed END
                WHERE agent_id = $1 AND guid = $2 RETURNING 1
            ) SELECT count(*)::int AS n FROM changed
            """, [agent.agent_id, guid, success])
        guard rows.first?.n ?? 0 > 0 else {
            throw PluginHTTPError(400, "guid: the agent has no update \(guid); send a scan (POST /api/v3/winupdates/) first.")
        }
        return try .json(JSON.string("ok"))
    }

    /// `PUT /api/v3/winupdates/`: the agent finished an install run. needs_reboot is kept,
    /// and the effective policy's reboot rule decides whether it reboots now.
    func installDone(_ req: PluginRequest) async throws -> PluginResponse {
        let (agent, body) = try await caller(req)
        let needsReboot = try checked { () throws(PatchInputError) in try AgentBodies.needsReboot(body) }
        try await host.execute(
            """
            INSERT INTO agent_state (agent_id, needs_reboot) VALUES ($1, $2)
            ON CONFLICT (agent_id) DO UPDATE SET needs_reboot = EXCLUDED.needs_reboot
            """, [agent.agent_id, needsReboot])
        let policy = try await effectivePolicy(agent)
        if policy.rebootsAfterInstall(needsReboot: needsReboot) {
            host.log(.debug, "\(agent.hostname) is rebooting after updates were installed.")
            do { try host.agentSend(agentID: agent.agent_id, payload: ["func": "rebootnow"] as JSON) } catch {
                host.log(.notice, "rebootnow to \(agent.agent_id): \(error)")
            }
        }
        await cleanupSuperseded(agent.agent_id)
        return try .json(JSON.string("ok"))
    }

    /// `POST /api/v3/superseded/`: the agent found no such update any more.
    func superseded(_ req: PluginRequest) async throws -> PluginResponse {
        let (agent, body) = try await caller(req)
        let guid = try checked { () throws(PatchInputError) in try AgentBodies.guid(body) }
        try await host.execute("DELETE FROM updates WHERE agent_id = $1 AND guid = $2", [agent.agent_id, guid])
        return try .json(JSON.string("ok"))
    }
}
