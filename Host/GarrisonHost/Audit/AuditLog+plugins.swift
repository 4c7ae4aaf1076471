extension AuditLog {
    /// An entry a plugin writes through the ABI's audit(). Its action is the plugin's own
    /// ("hello-c.stored"), not one of Tactical RMM's, so it has its own shape.
    struct PluginEntry: Sendable {
        let plugin: String
        let action: String
        let username: String?
        let agentID: String?
        let object: String?
        let detail: JSON?
        var ip: String? = nil
    }

    func record(_ entry: PluginEntry) async throws {
        try await pool.query(
            """
            INSERT INTO audit_log (username, agent_id, action, object_type, message, after_value, client_id, site_id, ip_address)
            SELECT $1, $2, $3, $4, $5, $6::jsonb, a.client_id, a.site_id, $7 FROM (SELECT 1) one LEFT JOIN agents a ON a.agent_id = $2
            """,
            [
                entry.username ?? "plugin:\(entry.plugin)", entry.agentID, entry.action, entry.object ?? "plugin:\(entry.plugin)",
                "\(entry.action) (plugin \(entry.plugin))", entry.detail?.databaseText, entry.ip,
            ])
    }
}
