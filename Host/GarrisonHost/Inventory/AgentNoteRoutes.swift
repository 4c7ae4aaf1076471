import Foundation
import Hummingbird

/// `/agents/<agent_id>/notes/` and `/agents/notes/<pk>/`: free-text notes on an agent, written
/// by operators or by a script run whose output mode is "note".
enum AgentNoteRoutes {
    static func routes(_ host: HostContext) -> [Route] {
        [
            Route(.get, "/agents/<agent_id>/notes/", access: .permission("can_list_notes"), summary: "The agent's notes, newest first") {
                call in
                let agent = try await AgentRoutes.load(host, call)
                let rows = try await host.pool.query(
                    "SELECT id, agent_id, username, note, entry_time FROM agent_notes WHERE agent_id = $1 ORDER BY id DESC",
                    [agent.string("agent_id")])
                return Responses.json(.array(rows.rows.map(render)))
            },
            Route(.post, "/agents/<agent_id>/notes/", access: .permission("can_manage_notes"), summary: "Add a note") { call in
                let agent = try await AgentRoutes.load(host, call)
                let note = try call.object().nonEmptyString("note")
                let id = try await host.pool.query(
                    "INSERT INTO agent_notes (agent_id, username, note) VALUES ($1, $2, $3) RETURNING id",
                    [agent.string("agent_id"), call.principal?.name ?? "", note]
                ).first!.int("id")
                await host.audit(
                    call, .add, "note", "Added note \(id) to \(agent.string("hostname"))", agentID: agent.string("agent_id"),
                    agentHostname: agent.string("hostname"))
                return Responses.json(["id": .init(id)])
            },
            Route(.delete, "/agents/notes/<pk>/", access: .permission("can_manage_notes"), summary: "Delete a note") { call in
                let id = try call.intParam("pk")
                guard
                    let row = try await host.pool.query(
                        """
                        SELECT n.agent_id, a.hostname, a.client_id, a.site_id FROM agent_notes n JOIN agents a ON a.agent_id = n.agent_id WHERE n.id = $1
                        """, [String(id)]
                    ).first, try call.user.scope.allows(clientID: row.int("client_id"), siteID: row.int("site_id"))
                else {
                    throw APIError.notFound("No note \(id).")
                }
                try await host.pool.query("DELETE FROM agent_notes WHERE id = $1", [String(id)])
                await host.audit(
                    call, .delete, "note", "Deleted note \(id) of \(row.string("hostname"))", agentID: row.string("agent_id"),
                    agentHostname: row.string("hostname"))
                return Responses.message("ok")
            },
        ]
    }

    static func render(_ row: PGRow) -> JSON {
        [
            "id": .init(row.int("id")), "agent_id": .init(row.string("agent_id")), "username": .init(row.string("username")),
            "note": .init(row.string("note")), "entry_time": .init(row.string("entry_time")),
        ]
    }
}
