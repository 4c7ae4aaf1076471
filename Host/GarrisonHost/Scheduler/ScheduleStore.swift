import Foundation

/// The scheduler's tables. All writes are single statements or short transactions so that
/// several hosts can share them; claims use FOR UPDATE SKIP LOCKED.
public struct ScheduleStore: Sendable {
    let pool: DatabasePool

    public init(pool: DatabasePool) { self.pool = pool }

    /// Creates or replaces a schedule; its next run is computed from now.
    public func upsert(_ definition: ScheduleDefinition, now: Date = Date()) async throws {
        let spec = try ScheduleSpec.parse(definition.spec)
        // Strictly after now: an interval schedule first runs one interval after it is created.
        let next = spec.next(after: now, anchor: now)
        try await pool.query(
            """
            INSERT INTO schedules (id, owner, kind, spec, payload, agent_id, max_attempts, enabled, anchor, next_run)
            VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9::timestamptz, $10::timestamptz)
            ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, spec = EXCLUDED.spec, payload = EXCLUDED.payload,
                agent_id = EXCLUDED.agent_id, max_attempts = EXCLUDED.max_attempts, enabled = EXCLUDED.enabled,
                anchor = CASE WHEN schedules.spec = EXCLUDED.spec THEN schedules.anchor ELSE EXCLUDED.anchor END,
                next_run = CASE WHEN schedules.spec = EXCLUDED.spec AND schedules.next_run IS NOT NULL THEN schedules.next_run ELSE EXCLUDED.next_run END,
                modified_time = now()
            WHERE schedules.owner = EXCLUDED.owner
            """,
            [
                definition.id, definition.owner, definition.kind, definition.spec.databaseText, definition.payload.databaseText,
                definition.agentID,
                String(definition.maxAttempts), definition.enabled ? "t" : "f", SQLTime.text(now), next.map(SQLTime.text),
            ])
    }

    /// Removes a schedule and cancels its open run. Only its owner may.
    @discardableResult
    public func cancel(id: String, owner: String) async throws -> Bool {
        try await pool.transaction { connection in
            try connection.query(
                "UPDATE job_runs SET state = 'cancelled', finished_at = now() WHERE schedule_id = $1 AND state = 'pending'", [id])
            return try connection.query("DELETE FROM schedules WHERE id = $1 AND owner = $2", [id, owner]).affectedRows == 1
        }
    }

    /// Queues one run now (or at `notBefore`), outside any schedule.
    @discardableResult
    public func enqueue(
        owner: String, kind: String, payload: JSON = [:], agentID: String? = nil, notBefore: Date = Date(), expiresAt: Date? = nil,
        maxAttempts: Int = 3
    ) async throws -> Int {
        try await pool.query(
            """
            INSERT INTO job_runs (owner, kind, payload, agent_id, due_at, not_before, expires_at, max_attempts)
            VALUES ($1, $2, $3::jsonb, $4, $5::timestamptz, $5::timestamptz, $6::timestamptz, $7) RETURNING id
            """, [owner, kind, payload.databaseText, agentID, SQLTime.text(notBefore), expiresAt.map(SQLTime.text), String(maxAttempts)]
        ).first!.int("id")
    }

    /// A schedule's next run as RFC 3339, or nil when it has no more runs.
    public func nextRun(id: String) async throws -> String? {
        try await pool.query(
            "SELECT to_char(next_run AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS n FROM schedules WHERE id = $1", [id]
        ).first?["n"]
    }

    public func list() async throws -> [PGRow] {
        try await pool.query(
            "SELECT *, (SELECT count(*) FROM job_runs r WHERE r.schedule_id = s.id AND r.state = 'pending') AS pending FROM schedules s ORDER BY id"
        ).rows
    }

    public func runs(scheduleID: String, limit: Int) async throws -> [PGRow] {
        try await pool.query("SELECT * FROM job_runs WHERE schedule_id = $1 ORDER BY id DESC LIMIT $2", [scheduleID, String(limit)]).rows
    }
}

/// Timestamps as PostgreSQL reads them: UTC with microseconds, PostgreSQL's own precision,
/// so a time written and read back compares equal (milliseconds would round a due time
/// past "now" and fire a schedule early). Reading goes through `extract(epoch FROM ...)`.
enum SQLTime {
    static func text(_ date: Date) -> String {
        let total = (date.timeIntervalSince1970 * 1_000_000).rounded(.down)
        var seconds = time_t((total / 1_000_000).rounded(.down))
        let micros = Int(total - Double(seconds) * 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), micros)
    }
}
