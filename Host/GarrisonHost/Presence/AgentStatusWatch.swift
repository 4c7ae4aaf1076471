import Foundation

/// agent.offline and agent.overdue, each raised once per transition. The status announced
/// last is kept on the agent row and moved by one UPDATE, so whichever host runs the sweep
/// (the scheduler runs it on one) raises each event once. agent.online is raised by
/// telemetry ingestion, which sets the same column.
public enum AgentStatusWatch {
    static let sql = """
        WITH now_status AS (
            SELECT a.id, \(AgentPresence.statusSQL) AS status FROM agents a
            WHERE \(AgentPresence.quietSQL) FOR UPDATE SKIP LOCKED
        )
        UPDATE agents a SET status_announced = n.status FROM now_status n
        WHERE a.id = n.id AND a.status_announced IS DISTINCT FROM n.status
        RETURNING a.agent_id, a.hostname, a.client_id, a.site_id, n.status
        """

    /// Returns how many events it raised.
    public static func sweep(pool: DatabasePool, events: EventBus) async throws -> Int {
        let changed = try await pool.query(sql).rows
        for row in changed {
            events.publish(
                "agent.\(row.string("status"))",
                [
                    "agent_id": .string(row.string("agent_id")), "hostname": .string(row.string("hostname")),
                    "client_id": .init(row.int("client_id")), "site_id": .init(row.int("site_id")),
                ])
        }
        return changed.count
    }
}
