import Foundation

/// core_get kinds for scripting: "global" (the global key store), and "agent_targets" and
/// "agent_variables" (the agents a bulk run may reach: what its filters need, and what its
/// {{agent.x}} read). The two lists are answered as text (coreText), never as a JSON tree.
extension LoadedPlugin {
    static let scriptingKinds: Set<String> = ["global", "agent_targets", "agent_variables"]

    /// global: id "<name>" gives {"name","value"}; id "*" gives {"<name>": "<value>", ...}.
    static func keyStoreObject(_ key: String, pool: DatabasePool) async throws -> JSON? {
        if key == "*" {
            let rows = try await pool.query("SELECT name, value FROM global_keystore").rows
            return .object(Dictionary(rows.map { ($0.string("name"), JSON.string($0.string("value"))) }, uniquingKeysWith: { $1 }))
        }
        return try await pool.query("SELECT name, value FROM global_keystore WHERE name = $1", [key]).first
            .map { ["name": .string($0.string("name")), "value": .string($0.string("value"))] }
    }

    /// agent_variables: many agents' scalar fields at once, for {{agent.x}} in bulk runs.
    static func agentVariablesText(_ key: String, pool: DatabasePool) async throws -> String? {
        guard let (filter, params) = AgentQueries.Selection(key)?.filter else { return nil }
        let rows = try await pool.query(
            "SELECT \(AgentQueries.listColumns), \(AgentQueries.detailScalarColumns) \(AgentQueries.from)\(filter) ORDER BY a.agent_id",
            params
        ).rows
        return JSON.array(rows.map { AgentQueries.render($0, detail: true, inventory: false) }).databaseText
    }

    /// agent_targets as JSON text, aggregated by the database.
    static func agentTargetsText(_ key: String, pool: DatabasePool) async throws -> String? {
        guard let (filter, params) = AgentQueries.Selection(key)?.filter else { return nil }
        return try await pool.query(
            """
            SELECT coalesce(json_agg(json_build_object('id', a.id, 'agent_id', a.agent_id, 'hostname', a.hostname, 'plat', a.plat, 'monitoring_type', a.monitoring_type,
                   'client_id', a.client_id, 'site_id', a.site_id, 'status', \(AgentQueries.status)) ORDER BY a.agent_id), '[]') AS list
            FROM agents a\(filter)
            """, params
        ).first?.string("list")
    }
}
