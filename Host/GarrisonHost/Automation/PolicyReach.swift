import Foundation

/// Where a policy can reach agents: the clients, sites and agents it is assigned to, and
/// whether it is a global default (which reaches every agent of its type). Assignments count,
/// not today's agents, so a policy on an empty site still reaches the agents enrolled there
/// tomorrow; exclusions and blocked inheritance are ignored for the same reason (they can
/// be changed by whoever owns those objects). A scoped role may change a policy, or anything
/// in it that runs on agents, only when all of this lies inside its scope.
struct PolicyReach: Sendable {
    var global = false
    /// Clients assigned either slot.
    var clients: [Int] = []
    /// Sites assigned either slot, with their client.
    var sites: [(site: Int, client: Int)] = []
    /// Agents assigned directly, with their client and site.
    var agents: [(agentID: String, client: Int, site: Int)] = []

    static func load(_ pool: DatabasePool, policy id: Int) async throws -> PolicyReach {
        let p = String(id)
        let rows = try await pool.query(
            """
            SELECT 'global' AS kind, NULL::text AS agent_id, NULL::bigint AS client_id, NULL::bigint AS site_id FROM core_settings
                WHERE id = 1 AND ((settings->>'server_policy') = $1 OR (settings->>'workstation_policy') = $1)
            UNION ALL SELECT 'client', NULL, id, NULL FROM clients WHERE server_policy = $1::bigint OR workstation_policy = $1::bigint
            UNION ALL SELECT 'site', NULL, client_id, id FROM sites WHERE server_policy = $1::bigint OR workstation_policy = $1::bigint
            UNION ALL SELECT 'agent', agent_id, client_id, site_id FROM agents WHERE policy_id = $1::bigint
            """, [p]
        ).rows
        var reach = PolicyReach()
        for row in rows {
            switch row.string("kind") {
            case "global": reach.global = true
            case "client": reach.clients.append(row.int("client_id"))
            case "site": reach.sites.append((row.int("site_id"), row.int("client_id")))
            default: reach.agents.append((row.string("agent_id"), row.int("client_id"), row.int("site_id")))
            }
        }
        return reach
    }

    /// The first place outside `scope`, described for an operator; nil when all is inside.
    func outside(_ scope: ObjectScope) -> String? {
        if scope.isUnrestricted { return nil }
        if global { return "every agent (it is a default policy in the core settings)" }
        if let client = clients.first(where: { !scope.clients.contains($0) }) { return "client \(client)" }
        if let site = sites.first(where: { !scope.allows(clientID: $0.client, siteID: $0.site) }) { return "site \(site.site)" }
        if let agent = agents.first(where: { !scope.allows(clientID: $0.client, siteID: $0.site) }) { return "agent \(agent.agentID)" }
        return nil
    }

    /// Refuses (403) a scoped caller's change to a policy that reaches outside their scope.
    static func requireInside(_ pool: DatabasePool, policy id: Int, caller: OperatorIdentity) async throws {
        if caller.isSuperuser || caller.scope.isUnrestricted { return }
        if let place = try await load(pool, policy: id).outside(caller.scope) {
            throw APIError.forbidden(
                "Policy \(id) reaches \(place), which is outside your scope; only a role that sees everything it reaches may change it.")
        }
    }

    /// For core_get "policy_reach": the same facts as JSON.
    var json: JSON {
        [
            "global": .init(global), "clients": .init(clients),
            "sites": .array(sites.map { ["id": .init($0.site), "client": .init($0.client)] }),
            "agents": .array(agents.map { ["agent_id": .init($0.agentID), "client": .init($0.client), "site": .init($0.site)] }),
        ]
    }
}
