/// The SQL behind what agents report about themselves (AgentReportRoutes).
enum AgentReportQueries {
    /// Stores the mesh node id; whether it changed.
    static func setMeshNode(_ pool: DatabasePool, agentID: String, node: String) async throws -> Bool {
        try await pool.query("UPDATE agents SET mesh_node_id = $2 WHERE agent_id = $1 AND mesh_node_id IS DISTINCT FROM $2", [agentID, node])
            .affectedRows > 0
    }

    static func setChocolateyInstalled(_ pool: DatabasePool, agentID: String, _ installed: Bool) async throws {
        try await pool.query("UPDATE agents SET choco_installed = $2 WHERE agent_id = $1", [agentID, installed ? "t" : "f"])
    }

    /// The package a chocoinstall pending action of this agent installs, if there is one.
    static func chocolateyPackage(_ pool: DatabasePool, action: Int, agentID: String) async throws -> String? {
        try await pool.query("SELECT details->>'name' AS name FROM pending_actions WHERE id = $1 AND agent_id = $2", [String(action), agentID])
            .first?.optionalString("name")
    }

    /// Completes the agent's pending action with chocolatey's output and verdict; its details,
    /// nil when the agent has no such action.
    static func completeChocolatey(_ pool: DatabasePool, action: Int, agentID: String, _ results: String, _ installed: Bool) async throws
        -> JSON?
    {
        try await pool.query(
            """
            UPDATE pending_actions SET results = $3, status = 'completed',
                details = details || jsonb_build_object('output', $3::text, 'installed', $4::boolean)
            WHERE id = $1 AND agent_id = $2 RETURNING details
            """, [String(action), agentID, results, installed ? "t" : "f"]
        ).first.map { JSON.fromDatabase($0.optionalString("details"), fallback: [:]) }
    }
}
