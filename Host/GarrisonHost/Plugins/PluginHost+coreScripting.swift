import Foundation

/// core_get kinds for scripting: "global" (the global key store) and "agent_targets" (the
/// agents a bulk run may reach, with what its filters need and their status).
extension PluginHost {
    static let scriptingKinds: Set<String> = ["global", "agent_targets"]

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
        var sql = "SELECT a.agent_id, a.hostname, a.plat, a.monitoring_type, a.client_id, a.site_id, (\(AgentQueries.status)) AS status FROM agents a"
        var params: [String?] = []
        let parts = key.split(separator: ":", maxSplits: 1).map(String.init)
        switch (parts.first, parts.count == 2 ? Int(parts[1]) : nil) {
        case ("all", _) where parts.count == 1: break
        case ("client", let id?): sql += " WHERE a.client_id = $1"; params.append(String(id))
        case ("site", let id?): sql += " WHERE a.site_id = $1"; params.append(String(id))
        default: return nil
        }
        let rows = try await pool.query(sql + " ORDER BY a.agent_id", params).rows
        return .array(rows.map { row in
            ["agent_id": .string(row.string("agent_id")), "hostname": .string(row.string("hostname")), "plat": .string(row.string("plat")),
             "monitoring_type": .string(row.string("monitoring_type")), "client_id": .init(row.int("client_id")),
             "site_id": .init(row.int("site_id")), "status": .string(row.string("status"))]
        })
    }
}
