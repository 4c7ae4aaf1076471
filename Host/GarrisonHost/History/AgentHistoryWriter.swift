import Foundation

/// The one writer of `agent_history`: rows opened for commands in flight and closed with the
/// NATS answer, the agent's own histresult report, and the claim of a row's save_result.
/// A bulk run opens and closes thousands of rows at once; each insert and each answer goes
/// through a WriteCoalescer, so the database sees one statement per batch while every caller
/// still gets its own row id.
final class AgentHistoryWriter: Sendable {
    struct Opening: Sendable {
        let agentID: String
        let note: AgentCommander.HistoryNote
        let username: String
    }

    struct Closing: Sendable {
        let id: Int
        let status: String
        let results: String?
        let scriptResults: String?
    }

    private let inserts: WriteCoalescer<Opening, Int?>
    private let updates: WriteCoalescer<Closing, Void>

    init(pool: DatabasePool) {
        // Two batches in flight: one in the database while the next one fills.
        inserts = WriteCoalescer(maxBatch: 1_000, maxInFlight: 2) { try await Self.insert(pool, $0) }
        updates = WriteCoalescer(maxBatch: 1_000, maxInFlight: 2) { try await Self.update(pool, $0) }
    }

    /// The new row's id. An unknown agent throws the foreign-key violation a single
    /// INSERT would, so callers keep one way of telling "no such agent".
    func open(agentID: String, note: AgentCommander.HistoryNote, username: String) async throws -> Int {
        guard let id = try await inserts.submit(Opening(agentID: agentID, note: note, username: username)) else {
            throw DatabaseError.constraint(sqlState: "23503", constraint: "agent_history_agent_id_fkey", message: "no agent \(agentID)")
        }
        return id
    }

    func finish(id: Int, status: String, results: String?, scriptResults: JSON? = nil) async throws {
        try await updates.submit(Closing(id: id, status: status, results: results, scriptResults: scriptResults?.databaseText))
    }

    /// The NATS answer, when there is one (see AgentHistoryStore.record). `sink`: the row
    /// was opened with save_result, so the output also goes to a note or custom field.
    func record(_ pool: DatabasePool, id: Int, outcome: AgentCommander.Outcome, sink: Bool) async throws {
        switch outcome {
        case .reply(let value):
            if let map = value.mapValue {
                try await finish(id: id, status: "completed", results: nil, scriptResults: map)
            } else {
                try await finish(id: id, status: "completed", results: value.stringValue ?? value.json.databaseText)
            }
            if sink { try await AgentResultSinks.apply(pool, historyID: id, result: value.json) }
        case .sent: try await finish(id: id, status: "sent", results: nil)
        case .queued: try await finish(id: id, status: "queued", results: nil)
        case .timeout: try await finish(id: id, status: "timeout", results: "timeout")
        case .natsDown: try await finish(id: id, status: "natsdown", results: "natsdown")
        }
    }

    /// The agent's histresult (docs/agent-protocol.md §7.8): completes its own row; nil when
    /// the row does not exist or is another agent's, which look the same to the agent.
    static func agentReported(
        _ pool: DatabasePool, id: Int, agentID: String, results: String?, scriptResults: JSON?
    ) async throws -> PGRow? {
        try await pool.query(
            """
            UPDATE agent_history SET status = 'completed', finished = now(), results = COALESCE($3, results), script_results = COALESCE($4::jsonb, script_results)
            WHERE id = $1 AND agent_id = $2 RETURNING id, type, origin, script_name
            """, [String(id), agentID, results, scriptResults?.databaseText]
        ).first
    }

    /// Takes a row's save_result, once: whichever result arrives first gets it, a second gets
    /// nil (AgentResultSinks).
    static func claimSink(_ pool: DatabasePool, id: Int) async throws -> PGRow? {
        try await pool.query(
            """
            WITH old AS (SELECT id, save_result FROM agent_history WHERE id = $1 AND save_result IS NOT NULL FOR UPDATE)
            UPDATE agent_history h SET save_result = NULL FROM old WHERE h.id = old.id RETURNING h.agent_id, h.username, old.save_result AS sink
            """, [String(id)]
        ).first
    }

    /// Ids come from the sequence inside the statement and are handed back in input order;
    /// rows for agents that do not exist are skipped and come back as nil.
    private static func insert(_ pool: DatabasePool, _ rows: [Opening]) async throws -> [Int?] {
        let sql = """
            WITH input AS MATERIALIZED (
                SELECT nextval('agent_history_id_seq') AS id, t.*, EXISTS (SELECT 1 FROM agents a WHERE a.agent_id = t.agent_id) AS known
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])
                     WITH ORDINALITY AS t(agent_id, type, command, username, script_name, origin, save_result, ord)
            ), written AS (
                INSERT INTO agent_history (id, agent_id, type, command, username, script_name, origin, save_result)
                SELECT id, agent_id, type, command, username, script_name, origin, save_result FROM input WHERE known
            )
            SELECT CASE WHEN known THEN id END AS id FROM input ORDER BY ord
            """
        let params = [
            PGArray.literal(rows.map(\.agentID)), PGArray.literal(rows.map(\.note.type)), PGArray.literal(rows.map(\.note.command)),
            PGArray.literal(rows.map(\.username)), PGArray.literal(rows.map(\.note.scriptName)), PGArray.literal(rows.map(\.note.origin)),
            PGArray.literal(optional: rows.map { $0.note.saveResult?.databaseText }),
        ]
        do {
            let result = try await pool.query(sql, params)
            return result.rows.map { $0.optionalString("id").flatMap { Int($0) } }
        } catch let error as DatabaseError where error.isForeignKeyViolation && rows.count > 1 {
            // An agent deleted between the check and the insert: only its own row fails.
            var ids: [Int?] = []
            for row in rows { ids.append(try await insert(pool, [row])[0]) }
            return ids
        } catch let error as DatabaseError where error.isForeignKeyViolation {
            return [nil]
        }
    }

    private static func update(_ pool: DatabasePool, _ rows: [Closing]) async throws -> [Void] {
        try await pool.query(
            """
            UPDATE agent_history h SET status = v.status, results = COALESCE(v.results, h.results), script_results = COALESCE(v.script_results, h.script_results),
                   finished = CASE WHEN v.status IN ('completed', 'timeout', 'natsdown') THEN now() ELSE h.finished END
            FROM unnest($1::bigint[], $2::text[], $3::text[], $4::jsonb[]) AS v(id, status, results, script_results)
            WHERE h.id = v.id
            """,
            [
                PGArray.literal(rows.map { String($0.id) }), PGArray.literal(rows.map(\.status)),
                PGArray.literal(optional: rows.map(\.results)), PGArray.literal(optional: rows.map(\.scriptResults)),
            ])
        return rows.map { _ in () }
    }
}
