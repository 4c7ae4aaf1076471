import Foundation

/// SQL for policies: rendering, the facts resolution needs for one agent, and the agents
/// of a client, site or policy.
enum PolicyQueries {
    static let columns = """
        p.*, (SELECT count(*) FROM agents a WHERE a.policy_id = p.id) AS agents_count,
        coalesce((SELECT (settings->>'server_policy')::bigint = p.id FROM core_settings WHERE id = 1), false) AS default_server_policy,
        coalesce((SELECT (settings->>'workstation_policy')::bigint = p.id FROM core_settings WHERE id = 1), false) AS default_workstation_policy
        """

    static func render(_ row: PGRow) -> JSON {
        [
            "id": .init(row.int("id")), "name": .init(row.string("name")), "desc": .init(row.string("description")),
            "active": .init(row.bool("active")), "enforced": .init(row.bool("enforced")),
            "alert_template": .init(row.optionalInt("alert_template")),
            "excluded_clients": .init(PGArray.ints(row["excluded_clients"])), "excluded_sites": .init(PGArray.ints(row["excluded_sites"])),
            "excluded_agents": .init(PGArray.ints(row["excluded_agents"])), "agents_count": .init(row.int("agents_count")),
            "default_server_policy": .init(row.bool("default_server_policy")),
            "default_workstation_policy": .init(row.bool("default_workstation_policy")),
            "created_by": .init(row.string("created_by")), "created_time": .init(row["created_time"]),
            "modified_by": .init(row.string("modified_by")), "modified_time": .init(row["modified_time"]),
        ]
    }

    static func load(_ pool: DatabasePool, _ id: Int) async throws -> PGRow? {
        try await pool.query("SELECT \(columns) FROM policies p WHERE p.id = $1", [String(id)]).first
    }

    /// One round trip: the agent's chain and every policy it names.
    static let chainSQL = """
        WITH a AS (
            SELECT a.id AS agent_pk, a.site_id, a.client_id, a.policy_id AS agent_policy,
                   a.block_policy_inheritance AS agent_blocks, s.block_policy_inheritance AS site_blocks,
                   c.block_policy_inheritance AS client_blocks,
                   CASE WHEN a.monitoring_type = 'server' THEN s.server_policy ELSE s.workstation_policy END AS site_policy,
                   CASE WHEN a.monitoring_type = 'server' THEN c.server_policy ELSE c.workstation_policy END AS client_policy,
                   (SELECT (settings->>(a.monitoring_type || '_policy'))::bigint FROM core_settings WHERE id = 1) AS default_policy
            FROM agents a JOIN sites s ON s.id = a.site_id JOIN clients c ON c.id = a.client_id
            WHERE a.agent_id = $1
        )
        SELECT a.*, p.id AS policy, p.active, p.enforced, p.excluded_clients, p.excluded_sites, p.excluded_agents
        FROM a LEFT JOIN policies p ON p.id IN (a.agent_policy, a.site_policy, a.client_policy, a.default_policy)
        """

    /// The policies applying to `agentID` in precedence order, or nil for no such agent.
    static func agentPolicies(_ pool: DatabasePool, agentID: String) async throws -> [PolicyResolution.Applied]? {
        let rows = try await pool.query(chainSQL, [agentID], prepared: true).rows
        guard let first = rows.first else { return nil }
        var chain = PolicyResolution.Chain(agentPK: first.int("agent_pk"), siteID: first.int("site_id"), clientID: first.int("client_id"))
        chain.agentBlocks = first.bool("agent_blocks")
        chain.siteBlocks = first.bool("site_blocks")
        chain.clientBlocks = first.bool("client_blocks")
        chain.agentPolicy = first.optionalInt("agent_policy")
        chain.sitePolicy = first.optionalInt("site_policy")
        chain.clientPolicy = first.optionalInt("client_policy")
        chain.defaultPolicy = first.optionalInt("default_policy")
        var policies: [Int: PolicyResolution.Policy] = [:]
        for row in rows {
            guard let id = row.optionalInt("policy") else { continue }
            var policy = PolicyResolution.Policy(id: id)
            policy.active = row.bool("active")
            policy.enforced = row.bool("enforced")
            policy.excludedClients = Set(PGArray.ints(row["excluded_clients"]))
            policy.excludedSites = Set(PGArray.ints(row["excluded_sites"]))
            policy.excludedAgents = Set(PGArray.ints(row["excluded_agents"]))
            policies[id] = policy
        }
        return PolicyResolution.resolve(chain, policies: policies)
    }

    /// agent_ids for core_get "agents": "client:<pk>", "site:<pk>" or "all".
    static func agentIDs(_ pool: DatabasePool, target: String) async throws -> [String]? {
        guard let selection = AgentQueries.Selection(target) else { return nil }
        // A client or site that does not exist is "not found", not an empty list.
        switch selection {
        case .all: break
        case .client(let id):
            guard try await pool.query("SELECT 1 FROM clients WHERE id = $1", [String(id)]).first != nil else { return nil }
        case .site(let id): guard try await pool.query("SELECT 1 FROM sites WHERE id = $1", [String(id)]).first != nil else { return nil }
        }
        let (filter, params) = selection.filter
        return try await pool.query("SELECT a.agent_id FROM agents a\(filter) ORDER BY a.id", params).rows.map { $0.string("agent_id") }
    }

    /// Where a policy is assigned (`/automation/policies/<pk>/related/`), limited to what
    /// `scope` sees: other clients' sites and agents are absent, as everywhere else.
    static func related(_ pool: DatabasePool, _ id: Int, scope: ObjectScope) async throws -> JSON {
        var params: [String?] = [String(id)]
        func scoped(site: String, client: String) -> String {
            guard let condition = scope.sqlCondition(siteColumn: site, clientColumn: client, nextParameter: 2) else { return "" }
            if params.count == 1 { params += condition.params }
            return " AND " + condition.sql
        }
        let clientFilter = scoped(site: "NULL::bigint", client: "id")
        let siteFilter = scoped(site: "id", client: "client_id")
        let agentFilter = scoped(site: "a.site_id", client: "a.client_id")
        func named(_ sql: String) async throws -> JSON {
            .array(try await pool.query(sql, params).rows.map { ["id": .init($0.int("id")), "name": .init($0.string("name"))] })
        }
        let agents = try await pool.query(
            "SELECT \(AgentQueries.listColumns) \(AgentQueries.from) WHERE a.policy_id = $1\(agentFilter) ORDER BY a.hostname", params
        ).rows
        return [
            "server_clients": try await named("SELECT id, name FROM clients WHERE server_policy = $1\(clientFilter) ORDER BY name"),
            "workstation_clients": try await named(
                "SELECT id, name FROM clients WHERE workstation_policy = $1\(clientFilter) ORDER BY name"),
            "server_sites": try await named("SELECT id, name FROM sites WHERE server_policy = $1\(siteFilter) ORDER BY name"),
            "workstation_sites": try await named("SELECT id, name FROM sites WHERE workstation_policy = $1\(siteFilter) ORDER BY name"),
            "agents": .array(agents.map { AgentQueries.render($0) }),
        ]
    }
}

/// Policy slots set through the client, site and agent edit routes: `server_policy` and
/// `workstation_policy` on clients and sites, `policy` on agents. A key that is present
/// sets the slot (null clears it); an absent key leaves it.
enum PolicyAssignment {
    static func apply(_ connection: PGConnection, table: String, id: String, idColumn: String = "id", fields: FieldReader) throws {
        let slots: [(key: String, column: String)] =
            table == "agents"
            ? [("policy", "policy_id")] : [("server_policy", "server_policy"), ("workstation_policy", "workstation_policy")]
        for slot in slots where fields.has(slot.key) {
            let value = try fields.optionalInt(slot.key)
            let result = Result { () throws(DatabaseError) -> PGResult in
                try connection.query(
                    "UPDATE \(table) SET \(slot.column) = $2::bigint WHERE \(idColumn) = $1", [id, value.map(String.init)])
            }
            if case .failure(let error) = result {
                if error.isForeignKeyViolation { throw APIError.badRequest("Policy \(value ?? 0) does not exist.") }
                throw error
            }
        }
    }
}
