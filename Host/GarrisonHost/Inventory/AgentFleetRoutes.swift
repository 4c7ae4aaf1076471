import Foundation
import Hummingbird

/// Routes over many agents at once that only read or flip the agents table: the versions
/// overview and maintenance mode for a whole client or site (Tactical RMM's paths and texts).
enum AgentFleetRoutes {
    static func routes(_ host: HostContext, latestVersion: String) -> [Route] {
        [
            Route(
                .get, "/agents/versions/", access: .permission("can_list_agents"),
                summary: "The agent version Garrison hands out, and every agent the role can see (short form)"
            ) { call in
                let (whereSQL, params) = try AgentQueries.Filter([:]).whereClause(scope: try call.user.scope)
                let rows = try await host.pool.query(
                    "SELECT a.id, a.agent_id, a.hostname, s.name AS site_name, c.name AS client_name \(AgentQueries.from) \(whereSQL) ORDER BY a.hostname, a.id",
                    params)
                return Responses.json([
                    "versions": .array([.string(latestVersion)]), "agents": .array(rows.rows.map(AgentQueries.renderShort)),
                ])
            },
            Route(
                .post, "/agents/maintenance/bulk/", access: .permission("can_edit_agent"),
                summary:
                    "Maintenance mode on or off for every agent of a client or site: {\"type\": \"Client\" | \"Site\", \"id\", \"action\"}"
            ) { call in
                let body = try call.object()
                let type = try body.string("type")
                guard type == "Client" || type == "Site" else { throw APIError.badRequest("Invalid data") }
                let id = try body.int("id", in: RequestInteger.id)
                guard let action = try body.optionalBool("action") else {
                    throw APIError.badRequest("Field 'action' is required: true to enable maintenance mode, false to disable it.")
                }
                let user = try call.user
                let column = type == "Client" ? "client_id" : "site_id"
                // The client or site must be one the role sees (else 404, as for any object
                // outside the scope); within a client, only the sites the role sees change.
                guard try await visible(host, user.scope, type: type, id: id) else {
                    throw APIError.notFound("No \(type) matches the given query.")
                }
                var sql = "UPDATE agents a SET maintenance_mode = $2 WHERE a.\(column) = $1"
                var params: [String?] = [String(id), action ? "true" : "false"]
                if let scope = user.scope.sqlCondition(siteColumn: "a.site_id", clientColumn: "a.client_id", nextParameter: 3) {
                    sql += " AND \(scope.sql)"
                    params += scope.params
                }
                let changed = try await host.pool.query(sql + " RETURNING a.agent_id", params).rows.count
                guard changed > 0 else {
                    return Responses.message(
                        "No agents have been put in maintenance mode. You might not have permissions to the resources.")
                }
                await host.audit(
                    call, .bulkAction, "agent",
                    "Maintenance mode \(action ? "enabled" : "disabled") on \(changed) agents of \(type.lowercased()) \(id)")
                return Responses.message("Maintenance mode has been \(action ? "enabled" : "disabled") on \(changed) agents")
            },
        ]
    }

    /// Whether the role sees the client (itself, or one of its sites) or the site.
    static func visible(_ host: HostContext, _ scope: ObjectScope, type: String, id: Int) async throws -> Bool {
        if type == "Site" {
            guard let site = try await host.pool.query("SELECT client_id FROM sites WHERE id = $1", [String(id)]).first else {
                return false
            }
            return scope.allows(clientID: site.int("client_id"), siteID: id)
        }
        guard try await host.pool.query("SELECT 1 FROM clients WHERE id = $1", [String(id)]).first != nil else { return false }
        if scope.isUnrestricted || scope.clients.contains(id) { return true }
        let sites = "{" + scope.sites.map(String.init).joined(separator: ",") + "}"
        return try await host.pool.query("SELECT 1 FROM sites WHERE client_id = $1 AND id = ANY($2::bigint[])", [String(id), sites]).first
            != nil
    }
}
