import Foundation
import Hummingbird

/// Agent notes as Tactical RMM serves them (docs/tactical-rmm-compatibility.md, agents):
/// `/agents/notes/` (list, add with `agent_id` in the body), `/agents/notes/<pk>/` (read, edit,
/// delete) and `/agents/<agent_id>/notes/`. A note is `{pk, entry_time, note, username,
/// agent_id}`, keyed `pk` as Tactical RMM's clients expect. Notes are also written by a script
/// run whose output mode is "note" (Commands/AgentResultSinks.swift).
enum AgentNoteRoutes {
    static let columns = """
        n.id, n.agent_id, n.username, n.note,
        to_char(n.entry_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS entry_time
        """

    static func routes(_ host: HostContext) -> [Route] {
        [
            Route(.get, "/agents/notes/", access: .permission("can_list_notes"), summary: "Notes of every agent the role can see") {
                call in
                var sql = "SELECT \(columns) FROM agent_notes n JOIN agents a ON a.agent_id = n.agent_id"
                var params: [String?] = []
                if let scope = try call.user.scope.sqlCondition(siteColumn: "a.site_id", clientColumn: "a.client_id", nextParameter: 1) {
                    sql += " WHERE \(scope.sql)"
                    params = scope.params
                }
                let rows = try await host.pool.query(sql + " ORDER BY n.id DESC", params)
                return Responses.json(.array(rows.rows.map(render)))
            },
            Route(.post, "/agents/notes/", access: .permission("can_manage_notes"), summary: "Add a note to the agent named by agent_id") {
                call in
                let fields = try call.object()
                let agentID = try fields.nonEmptyString("agent_id")
                let agent = try await visibleAgent(host, call, agentID)
                return try await add(host, call, agent: agent, fields: fields)
            },
            Route(.get, "/agents/notes/<pk>/", access: .permission("can_list_notes"), summary: "One note") { call in
                let note = try await load(host, call)
                return Responses.json(render(note))
            },
            Route(.put, "/agents/notes/<pk>/", access: .permission("can_manage_notes"), summary: "Change a note's text") { call in
                let note = try await load(host, call)
                let fields = try call.object()
                // Partial, as Tactical RMM: a body without `note` changes nothing.
                if fields.has("note") {
                    let text = try fields.optionalString("note") ?? ""
                    try await host.pool.query("UPDATE agent_notes SET note = $2 WHERE id = $1", [String(note.int("id")), text])
                    await host.audit(
                        call, .modify, "note", "Edited note \(note.int("id")) of \(note.string("hostname"))",
                        agentID: note.string("agent_id"), agentHostname: note.string("hostname"))
                }
                return Responses.message("Note edited!")
            },
            Route(.delete, "/agents/notes/<pk>/", access: .permission("can_manage_notes"), summary: "Delete a note") { call in
                let note = try await load(host, call)
                try await host.pool.query("DELETE FROM agent_notes WHERE id = $1", [String(note.int("id"))])
                await host.audit(
                    call, .delete, "note", "Deleted note \(note.int("id")) of \(note.string("hostname"))",
                    agentID: note.string("agent_id"), agentHostname: note.string("hostname"))
                return Responses.message("Note was deleted!")
            },
            Route(.get, "/agents/<agent_id>/notes/", access: .permission("can_list_notes"), summary: "The agent's notes, newest first") {
                call in
                let agent = try await AgentRoutes.load(host, call)
                let rows = try await host.pool.query(
                    "SELECT \(columns) FROM agent_notes n WHERE n.agent_id = $1 ORDER BY n.id DESC", [agent.string("agent_id")])
                return Responses.json(.array(rows.rows.map(render)))
            },
            // Garrison's own form of the add (Tactical RMM's view cannot serve it): the agent in the path.
            Route(.post, "/agents/<agent_id>/notes/", access: .permission("can_manage_notes"), summary: "Add a note") { call in
                let agent = try await AgentRoutes.load(host, call)
                return try await add(host, call, agent: agent, fields: try call.object())
            },
        ]
    }

    /// Tactical RMM refuses only a body without `note` ("Cannot add an empty note"); an empty
    /// string is a note.
    static func add(_ host: HostContext, _ call: Call, agent: PGRow, fields: FieldReader) async throws -> Response {
        guard fields.has("note") else { throw APIError.badRequest("Cannot add an empty note") }
        let text = try fields.optionalString("note") ?? ""
        let id = try await host.pool.query(
            "INSERT INTO agent_notes (agent_id, username, note) VALUES ($1, $2, $3) RETURNING id",
            [agent.string("agent_id"), call.principal?.name ?? "", text]
        ).first!.int("id")
        await host.audit(
            call, .add, "note", "Added note \(id) to \(agent.string("hostname"))", agentID: agent.string("agent_id"),
            agentHostname: agent.string("hostname"))
        return Responses.message("Note added!")
    }

    /// The note in the path with its agent's hostname, if the caller's role may see that
    /// agent; otherwise 404 with Tactical RMM's text.
    static func load(_ host: HostContext, _ call: Call) async throws -> PGRow {
        let id = try call.intParam("pk")
        guard
            let row = try await host.pool.query(
                """
                SELECT \(columns), a.hostname, a.client_id, a.site_id
                FROM agent_notes n JOIN agents a ON a.agent_id = n.agent_id WHERE n.id = $1
                """, [String(id)]
            ).first, try call.user.scope.allows(clientID: row.int("client_id"), siteID: row.int("site_id"))
        else {
            throw APIError.notFound("No Note matches the given query.")
        }
        return row
    }

    static func visibleAgent(_ host: HostContext, _ call: Call, _ agentID: String) async throws -> PGRow {
        guard
            let row = try await host.pool.query(
                "SELECT agent_id, hostname, client_id, site_id FROM agents WHERE agent_id = $1", [agentID]
            ).first, try call.user.scope.allows(clientID: row.int("client_id"), siteID: row.int("site_id"))
        else {
            throw APIError.notFound("No Agent matches the given query.")
        }
        return row
    }

    static func render(_ row: PGRow) -> JSON {
        [
            "pk": .init(row.int("id")), "agent_id": .init(row.string("agent_id")), "username": .init(row.string("username")),
            "note": .init(row["note"]), "entry_time": .init(row.string("entry_time")),
        ]
    }
}
