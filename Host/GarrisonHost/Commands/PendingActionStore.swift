import Foundation

/// Rows of `pending_actions`: commands waiting for an offline agent (or a later time).
enum PendingActionStore {
    static let columns =
        "p.id, p.agent_id, p.action_type, p.status, p.command, p.details, p.history_id, p.username, p.created, p.not_before, p.expires_at, p.delivered, p.results"

    static func insert(_ pool: DatabasePool, request: AgentCommander.Request, command: AgentCommand, historyID: Int?, expiresAt: Date)
        async throws -> Int
    {
        try await pool.query(
            """
            INSERT INTO pending_actions (agent_id, action_type, command, details, history_id, username, not_before, expires_at)
            VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, COALESCE($7::timestamptz, now()), $8::timestamptz) RETURNING id
            """,
            [
                request.agentID, request.actionType, command.json.databaseText, request.details.databaseText, historyID.map(String.init),
                request.username, request.notBefore.map(SQLTime.text), SQLTime.text(expiresAt),
            ]
        ).first!.int("id")
    }

    /// An action whose result the agent reports itself later (chocoresult): pending until
    /// then, with no expiry, and marked delivered so the offline queue never claims it.
    static func insertTracked(_ pool: DatabasePool, request: AgentCommander.Request, command: AgentCommand, historyID: Int?)
        async throws -> Int
    {
        try await pool.query(
            """
            INSERT INTO pending_actions (agent_id, action_type, command, details, history_id, username, delivered)
            VALUES ($1, $2, $3::jsonb, $4::jsonb, $5, $6, now()) RETURNING id
            """,
            [
                request.agentID, request.actionType, command.json.databaseText, request.details.databaseText, historyID.map(String.init),
                request.username,
            ]
        ).first!.int("id")
    }

    static func delete(_ pool: DatabasePool, id: Int) async throws {
        try await pool.query("DELETE FROM pending_actions WHERE id = $1", [String(id)])
    }

    struct Claimed: Sendable {
        let id: Int
        let command: JSON
        let historyID: Int?
    }

    /// Marks the agent's due actions delivered and returns them in the order they were made.
    /// The claim and the mark are one statement, so two hosts never both deliver one action.
    static func claim(_ pool: DatabasePool, agentID: String) async throws -> [Claimed] {
        try await pool.query(
            """
            UPDATE pending_actions SET status = 'completed', delivered = now()
            WHERE id IN (SELECT id FROM pending_actions WHERE agent_id = $1 AND status = 'pending' AND delivered IS NULL AND not_before <= now()
                         AND (expires_at IS NULL OR expires_at > now()) ORDER BY id FOR UPDATE SKIP LOCKED)
            RETURNING id, command, history_id
            """, [agentID]
        ).rows
            .map {
                Claimed(id: $0.int("id"), command: JSON.fromDatabase($0.optionalString("command")), historyID: $0.optionalInt("history_id"))
            }
            .sorted { $0.id < $1.id }
    }

    /// NATS went away mid-delivery: the action waits again.
    static func release(_ pool: DatabasePool, id: Int) async throws {
        try await pool.query("UPDATE pending_actions SET status = 'pending', delivered = NULL WHERE id = $1", [String(id)])
    }

    static func setResult(_ pool: DatabasePool, id: Int, results: String) async throws {
        try await pool.query("UPDATE pending_actions SET results = $2 WHERE id = $1", [String(id), results])
    }

    /// Agents seen recently that have actions due now.
    static func agentsWithDueActions(_ pool: DatabasePool) async throws -> [String] {
        try await pool.query(
            """
            SELECT DISTINCT p.agent_id FROM pending_actions p JOIN agents a ON a.agent_id = p.agent_id
            WHERE p.status = 'pending' AND p.delivered IS NULL AND p.not_before <= now() AND (p.expires_at IS NULL OR p.expires_at > now())
              AND (\(AgentQueries.status)) = 'online'
            """
        ).rows.map { $0.string("agent_id") }
    }

    static func expire(_ pool: DatabasePool) async throws -> Int {
        try await pool.query("UPDATE pending_actions SET status = 'expired' WHERE status = 'pending' AND expires_at <= now()").affectedRows
    }

    static func render(_ row: PGRow) -> JSON {
        [
            "id": .init(row.int("id")), "agent": .init(row.string("agent_id")), "hostname": .init(row.optionalString("hostname")),
            "client": .init(row.optionalString("client_name")), "site": .init(row.optionalString("site_name")),
            "action_type": .init(row.string("action_type")), "status": .init(row.string("status")),
            "details": JSON.fromDatabase(row.optionalString("details"), fallback: [:]),
            "command": JSON.fromDatabase(row.optionalString("command"), fallback: [:]),
            "history_id": .init(row.optionalInt("history_id")), "username": .init(row.string("username")),
            "entry_time": .init(row.string("created")), "not_before": .init(row.string("not_before")),
            "expires_at": .init(row.optionalString("expires_at")), "delivered": .init(row.optionalString("delivered")),
            "results": .init(row.optionalString("results")),
        ]
    }
}
