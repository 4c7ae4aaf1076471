/// The SQL of clients and sites: the routes and core_get read and write through these, so a
/// column is named in one file.
enum ClientQueries {
    static let clientColumns = "c.*, (SELECT count(*) FROM agents a WHERE a.client_id = c.id) AS agent_count"
    static let siteColumns = "s.*, c.name AS client_name, (SELECT count(*) FROM agents a WHERE a.site_id = s.id) AS agent_count"
    static let sitesFrom = "FROM sites s JOIN clients c ON c.id = s.client_id"

    // MARK: reading

    /// Clients `scope` may see (all, the clients in scope, or the clients of sites in scope),
    /// by name, each with the sites the scope may see.
    static func visibleClients(_ pool: DatabasePool, _ scope: ObjectScope, only id: Int? = nil) async throws -> [(ClientRow, [SiteRow])] {
        var sql = "SELECT \(clientColumns) FROM clients c WHERE true"
        var params: [String?] = []
        if let id { params.append(String(id)); sql += " AND c.id = $\(params.count)" }
        if !scope.isUnrestricted {
            params.append(PGArray.literal(Array(scope.clients)))
            params.append(PGArray.literal(Array(scope.sites)))
            sql +=
                " AND (c.id = ANY($\(params.count - 1)::bigint[]) OR EXISTS (SELECT 1 FROM sites s WHERE s.client_id = c.id AND s.id = ANY($\(params.count)::bigint[])))"
        }
        let clients = try await pool.query(sql + " ORDER BY c.name", params).rows.map(ClientRow.init)
        let sites = try await visibleSites(pool, scope, clientIDs: clients.map(\.id))
        let byClient = Dictionary(grouping: sites, by: \.clientID)
        return clients.map { ($0, byClient[$0.id] ?? []) }
    }

    /// Sites `scope` may see, by client name and site name.
    static func visibleSites(_ pool: DatabasePool, _ scope: ObjectScope, clientIDs: [Int]? = nil, only id: Int? = nil) async throws
        -> [SiteRow]
    {
        var sql = "SELECT \(siteColumns) \(sitesFrom) WHERE true"
        var params: [String?] = []
        if let clientIDs { params.append(PGArray.literal(clientIDs)); sql += " AND s.client_id = ANY($\(params.count)::bigint[])" }
        if let id { params.append(String(id)); sql += " AND s.id = $\(params.count)" }
        if let condition = scope.sqlCondition(siteColumn: "s.id", clientColumn: "s.client_id", nextParameter: params.count + 1) {
            params += condition.params
            sql += " AND " + condition.sql
        }
        return try await pool.query(sql + " ORDER BY c.name, s.name", params).rows.map(SiteRow.init)
    }

    /// One client with all its sites, whatever the scope (core_get "client").
    static func client(_ pool: DatabasePool, id: Int) async throws -> (ClientRow, [SiteRow])? {
        guard let row = try await pool.query("SELECT \(clientColumns) FROM clients c WHERE c.id = $1", [String(id)]).first else { return nil }
        let sites = try await pool.query("SELECT \(siteColumns) \(sitesFrom) WHERE s.client_id = $1 ORDER BY s.name", [String(id)]).rows
        return (ClientRow(row), sites.map(SiteRow.init))
    }

    /// One site, whatever the scope (core_get "site").
    static func site(_ pool: DatabasePool, id: Int) async throws -> SiteRow? {
        try await pool.query("SELECT \(siteColumns) \(sitesFrom) WHERE s.id = $1", [String(id)]).first.map(SiteRow.init)
    }

    // MARK: writing (inside the caller's transaction, with its audit entry)

    /// A client and its first site; the client's id.
    static func insertClient(_ connection: PGConnection, name: String, site: String, customFields: JSON, by user: String) throws -> Int {
        let id = try connection.query(
            "INSERT INTO clients (name, custom_fields, created_by) VALUES ($1, $2::jsonb, $3) RETURNING id",
            [name, customFields.databaseText, user]
        ).first!.int("id")
        try connection.query("INSERT INTO sites (client_id, name, created_by) VALUES ($1, $2, $3)", [String(id), site, user])
        return id
    }

    /// The fields an edit may change on a client or a site; nil leaves one as it is.
    struct Edit {
        var name: String?
        var blockPolicyInheritance: Bool?
        var customFields: JSON?
        var by: String
    }

    /// `table` is "clients" or "sites": both carry the same editable columns.
    static func update(_ connection: PGConnection, table: String, id: Int, _ edit: Edit) throws {
        precondition(table == "clients" || table == "sites")
        try connection.query(
            """
            UPDATE \(table) SET name = coalesce($2, name), block_policy_inheritance = coalesce($3::boolean, block_policy_inheritance),
                custom_fields = coalesce($4::jsonb, custom_fields), modified_by = $5, modified_time = now() WHERE id = $1
            """,
            [String(id), edit.name, edit.blockPolicyInheritance.map { $0 ? "t" : "f" }, edit.customFields?.databaseText, edit.by])
    }

    static func deleteClient(_ connection: PGConnection, id: Int) throws {
        try connection.query("DELETE FROM sites WHERE client_id = $1", [String(id)])
        try connection.query("DELETE FROM clients WHERE id = $1", [String(id)])
    }

    static func insertSite(_ connection: PGConnection, client: Int, name: String, customFields: JSON, by user: String) throws {
        try connection.query(
            "INSERT INTO sites (client_id, name, custom_fields, created_by) VALUES ($1, $2, $3::jsonb, $4)",
            [String(client), name, customFields.databaseText, user])
    }

    static func siteCount(_ connection: PGConnection, client: Int) throws -> Int {
        try connection.query("SELECT count(*) AS n FROM sites WHERE client_id = $1", [String(client)]).first!.int("n")
    }

    static func deleteSite(_ connection: PGConnection, id: Int) throws {
        try connection.query("DELETE FROM sites WHERE id = $1", [String(id)])
    }

    /// Where the agents of a client or site being deleted go.
    enum Owner {
        case client(Int)
        case site(Int)
        var column: String {
            switch self {
            case .client: return "client_id"
            case .site: return "site_id"
            }
        }
        var id: Int {
            switch self {
            case .client(let id), .site(let id): return id
            }
        }
    }

    /// Agents are never deleted with their client or site: they move, or the delete is refused.
    /// The site they move to must be inside the caller's scope (404 as if it did not exist) and
    /// outside what is being deleted.
    static func moveAgents(_ connection: PGConnection, of owner: Owner, to site: Int?, scope: ObjectScope) throws {
        let count = try connection.query("SELECT count(*) AS n FROM agents WHERE \(owner.column) = $1", [String(owner.id)]).first!.int("n")
        guard count > 0 else { return }
        guard let site else {
            throw APIError.badRequest("\(count) agents still belong here; pass ?move_to_site=<site id> to move them first.")
        }
        guard let target = try connection.query("SELECT id, client_id FROM sites WHERE id = $1", [String(site)]).first,
            scope.allows(clientID: target.int("client_id"), siteID: site)
        else {
            throw APIError.notFound("move_to_site: no site with id \(site).")
        }
        let targetClient = target.int("client_id")
        switch owner {
        case .client(let id) where targetClient == id, .site(let id) where site == id:
            throw APIError.badRequest("move_to_site \(site) is not a site the agents can move to.")
        default:
            break
        }
        try connection.query(
            "UPDATE agents SET site_id = $2, client_id = $3 WHERE \(owner.column) = $1", [String(owner.id), String(site), String(targetClient)])
    }
}
