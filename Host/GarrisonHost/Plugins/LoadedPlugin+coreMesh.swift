import Foundation

/// core_get kinds for plugins that keep another system's users and devices in step with
/// Garrison's (the meshcentral plugin's permission sync): who may sign in, with what role and
/// scope, and which agents have a mesh node id.
extension LoadedPlugin {
    static let syncKinds: Set<String> = ["operators", "agent_mesh_nodes"]

    /// "operators", id "active": every operator who may sign in to the dashboard (active, not
    /// blocked, not an installer user) with their role's rights, ordered by id.
    /// "agent_mesh_nodes", id "all": the agents with a mesh node id and where they sit.
    static func syncText(_ kind: String, _ key: String, pool: DatabasePool) async throws -> String? {
        switch (kind, key) {
        case ("operators", "active"):
            return try await pool.query(
                """
                SELECT coalesce(json_agg(json_build_object('id', u.id, 'username', u.username, 'first_name', u.first_name,
                       'last_name', u.last_name, 'is_superuser', (u.is_superuser OR coalesce(r.is_superuser, false)),
                       'permissions', coalesce(r.permissions, '{}'), 'can_view_clients', coalesce(r.can_view_clients, '{}'),
                       'can_view_sites', coalesce(r.can_view_sites, '{}')) ORDER BY u.id), '[]') AS list
                FROM users u LEFT JOIN roles r ON r.id = u.role_id
                WHERE u.is_active AND NOT u.block_dashboard_login AND NOT u.is_installer_user
                """
            ).first?.string("list")
        case ("agent_mesh_nodes", "all"):
            return try await pool.query(
                """
                SELECT coalesce(json_agg(json_build_object('agent_id', a.agent_id, 'mesh_node_id', a.mesh_node_id,
                       'client_id', a.client_id, 'site_id', a.site_id) ORDER BY a.agent_id), '[]') AS list
                FROM agents a WHERE a.mesh_node_id <> ''
                """
            ).first?.string("list")
        default:
            return nil
        }
    }
}
