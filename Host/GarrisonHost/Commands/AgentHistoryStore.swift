import Foundation

/// Rows of `agent_history`: what was sent to an agent, by whom, and what came back.
enum AgentHistoryStore {
    static let columns = "id, agent_id, time, type, command, username, script_name, origin, status, results, script_results, finished"

    static func insert(_ pool: DatabasePool, agentID: String, note: AgentCommander.HistoryNote, username: String) async throws -> Int {
        try await pool.query("""
            INSERT INTO agent_history (agent_id, type, command, username, script_name, origin, save_result) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id
            """, [agentID, note.type, note.command, username, note.scriptName, note.origin, note.saveResult?.databaseText]).first!.int("id")
    }

    static func finish(_ pool: DatabasePool, id: Int, status: String, results: String?, scriptResults: JSONValue? = nil) async throws {
        try await pool.query("""
            UPDATE agent_history SET status = $2, results = COALESCE($3, results), script_results = COALESCE($4::jsonb, script_results),
                   finished = CASE WHEN $2 IN ('completed', 'timeout', 'natsdown') THEN now() ELSE finished END
            WHERE id = $1
            """, [String(id), status, results, scriptResults?.databaseText])
    }

    /// The NATS answer, when there is one. Functions that also report via histresult write
    /// the same result twice (section 14, item 11); the later write wins and they agree.
    static func record(_ pool: DatabasePool, id: Int, outcome: AgentCommander.Outcome) async throws {
        switch outcome {
        case .reply(let value):
            if let map = value.mapValue { try await finish(pool, id: id, status: "completed", results: nil, scriptResults: map) }
            else { try await finish(pool, id: id, status: "completed", results: value.stringValue ?? value.json.databaseText) }
            try await AgentResultSinks.apply(pool, historyID: id, result: value.json)
        case .sent: try await finish(pool, id: id, status: "sent", results: nil)
        case .queued: try await finish(pool, id: id, status: "queued", results: nil)
        case .timeout: try await finish(pool, id: id, status: "timeout", results: "timeout")
        case .natsDown: try await finish(pool, id: id, status: "natsdown", results: "natsdown")
        }
    }

    static func render(_ row: PGRow) -> JSONValue {
        [
            "id": .init(row.int("id")), "agent": .init(row.string("agent_id")), "time": .init(row.string("time")),
            "type": .init(row.string("type")), "command": .init(row.string("command")), "username": .init(row.string("username")),
            "script_name": .init(row.string("script_name")), "origin": .init(row.string("origin")), "status": .init(row.string("status")),
            "results": .init(row.optionalString("results")),
            "script_results": JSONValue.fromDatabase(row.optionalString("script_results")),
            "finished": .init(row.optionalString("finished")),
        ]
    }
}

extension MsgPackValue {
    var mapValue: JSONValue? { if case .map = self { return json }; return nil }
}
