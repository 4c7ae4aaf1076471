import Foundation

/// core_get kinds for scripting: "global" (the global key store) and "agent_targets" (the
/// agents a bulk run may reach, with what its filters need and their status).
extension PluginHost {
    static let scriptingKinds: Set<String> = ["global", "agent_targets", "agent_variables"]

    /// - global: id "<name>" gives {"name","value"}; id "*" gives {"<name>": "<value>", ...}.
    /// - agent_targets: id "all", "client:<id>" or "site:<id>" gives [{"agent_id", "hostname",
    ///   "plat", "monitoring_type", "client_id", "site_id", "status"}] ordered by agent_id.
    static func scriptingObject(_ kind: String, _ key: String, pool: DatabasePool) async throws -> JSONValue? {
        if kind == "global" {
            if key == "*" {
                let rows = try await pool.query("SELECT name, value FROM global_keystore").rows
                return .object(Dictionary(rows.map { ($0.string("name"), JSONValue.string($0.string("value"))) }, uniquingKeysWith: { $1 }))
            }
            return try await pool.query("SELECT name, value FROM global_keystore WHERE name = $1", [key]).first
                .map { ["name": .string($0.string("name")), "value": .string($0.string("value"))] }
        }
        return nil
    }

    /// The WHERE clause and parameters for "all", "client:<id>" or "site:<id>".
    static func targetFilter(_ key: String) -> (sql: String, params: [String?])? {
        let parts = key.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count == 2 ? Int(parts[1]) : nil) {
        case ("all", _) where parts.count == 1: return ("", [])
        case ("client", let id?): return (" WHERE a.client_id = $1", [String(id)])
        case ("site", let id?): return (" WHERE a.site_id = $1", [String(id)])
        default: return nil
        }
    }

    /// agent_variables: many agents' scalar fields at once, for {{agent.x}} in bulk runs.
    static func agentVariablesText(_ key: String, pool: DatabasePool) async throws -> String? {
        guard let (filter, params) = targetFilter(key) else { return nil }
        let rows = try await pool.query("SELECT \(AgentQueries.listColumns), \(AgentQueries.detailScalarColumns) \(AgentQueries.from)\(filter) ORDER BY a.agent_id", params).rows
        return JSONValue.array(rows.map { AgentQueries.render($0, detail: true, inventory: false) }).databaseText
    }

    /// agent_targets as JSON text, aggregated by the database.
    static func agentTargetsText(_ key: String, pool: DatabasePool) async throws -> String? {
        guard let (filter, params) = targetFilter(key) else { return nil }
        return try await pool.query("""
            SELECT coalesce(json_agg(json_build_object('agent_id', a.agent_id, 'hostname', a.hostname, 'plat', a.plat, 'monitoring_type', a.monitoring_type,
                   'client_id', a.client_id, 'site_id', a.site_id, 'status', \(AgentQueries.status)) ORDER BY a.agent_id), '[]') AS list
            FROM agents a\(filter)
            """, params).first?.string("list")
    }
}
