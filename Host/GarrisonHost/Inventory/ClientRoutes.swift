import Foundation
import Hummingbird

/// Clients and their sites (`/clients/`, `/clients/sites/`), scoped by the caller's role.
enum ClientRoutes {
    static func renderClient(_ row: PGRow, sites: [JSON]) -> JSON {
        [
            "id": .init(row.int("id")), "name": .init(row.string("name")),
            "block_policy_inheritance": .init(row.bool("block_policy_inheritance")),
            "custom_fields": .fromDatabase(row["custom_fields"], fallback: [:]), "created_by": .init(row.string("created_by")),
            "created_time": .init(row["created_time"]), "modified_by": .init(row.string("modified_by")),
            "modified_time": .init(row["modified_time"]),
            "agent_count": .init(row.int("agent_count")), "sites": .array(sites),
            "server_policy": .init(row.optionalInt("server_policy")), "workstation_policy": .init(row.optionalInt("workstation_policy")),
        ]
    }

    static func renderSite(_ row: PGRow) -> JSON {
        [
            "id": .init(row.int("id")), "name": .init(row.string("name")), "client": .init(row.int("client_id")),
            "client_name": .init(row.string("client_name")),
            "block_policy_inheritance": .init(row.bool("block_policy_inheritance")),
            "custom_fields": .fromDatabase(row["custom_fields"], fallback: [:]),
            "created_by": .init(row.string("created_by")), "created_time": .init(row["created_time"]),
            "modified_time": .init(row["modified_time"]),
            "agent_count": .init(row.int("agent_count")),
            "server_policy": .init(row.optionalInt("server_policy")), "workstation_policy": .init(row.optionalInt("workstation_policy")),
        ]
    }

    static let siteColumns = "s.*, c.name AS client_name, (SELECT count(*) FROM agents a WHERE a.site_id = s.id) AS agent_count"
    static let clientColumns = "c.*, (SELECT count(*) FROM agents a WHERE a.client_id = c.id) AS agent_count"

    /// Clients visible to `user`: all, the clients in scope, or the clients of sites in scope.
    static func visibleClients(_ host: HostContext, _ user: OperatorIdentity, only id: Int? = nil) async throws -> [JSON] {
        var sql = "SELECT \(clientColumns) FROM clients c WHERE true"
        var params: [String?] = []
        if let id { params.append(String(id)); sql += " AND c.id = $\(params.count)" }
        if !user.scope.isUnrestricted {
            params.append(PGArray.literal(Array(user.scope.clients)))
            params.append(PGArray.literal(Array(user.scope.sites)))
            sql +=
                " AND (c.id = ANY($\(params.count - 1)::bigint[]) OR EXISTS (SELECT 1 FROM sites s WHERE s.client_id = c.id AND s.id = ANY($\(params.count)::bigint[])))"
        }
        let clients = try await host.pool.query(sql + " ORDER BY c.name", params).rows
        let sites = try await visibleSites(host, user, clientIDs: clients.map { $0.int("id") })
        var byClient: [Int: [JSON]] = [:]
        for site in sites { byClient[site.int("client_id"), default: []].append(renderSite(site)) }
        return clients.map { renderClient($0, sites: byClient[$0.int("id")] ?? []) }
    }

    static func visibleSites(_ host: HostContext, _ user: OperatorIdentity, clientIDs: [Int]? = nil, only id: Int? = nil) async throws
        -> [PGRow]
    {
        var sql = "SELECT \(siteColumns) FROM sites s JOIN clients c ON c.id = s.client_id WHERE true"
        var params: [String?] = []
        if let clientIDs { params.append(PGArray.literal(clientIDs)); sql += " AND s.client_id = ANY($\(params.count)::bigint[])" }
        if let id { params.append(String(id)); sql += " AND s.id = $\(params.count)" }
        if let condition = user.scope.sqlCondition(siteColumn: "s.id", clientColumn: "s.client_id", nextParameter: params.count + 1) {
            params += condition.params
            sql += " AND " + condition.sql
        }
        return try await host.pool.query(sql + " ORDER BY c.name, s.name", params).rows
    }

    static func routes(_ host: HostContext) -> [Route] {
        [
            Route(.get, "/clients/", access: .permission("can_list_clients"), summary: "Clients with their sites") { call in
                let definitions = try await CustomFieldDefinition.load(host.pool)
                return Responses.json(
                    .array(
                        try await visibleClients(host, try call.user).map {
                            CustomFieldValues.restShaped($0, owner: "client", definitions: definitions)
                        }))
            },
            Route(.post, "/clients/", access: .permission("can_manage_clients"), summary: "Create a client and its first site") { call in
                // A new client would lie outside a limited role's own scope at once.
                try await GrantRules.checked(call, host, "client") { try call.user.requireUnrestricted("New clients") }
                let body = try call.object()
                let client = FieldReader(body.fields["client"]?.objectValue ?? [:])
                let site = FieldReader(body.fields["site"]?.objectValue ?? [:])
                let clientName = try client.has("name") ? client.nonEmptyString("name") : body.nonEmptyString("name")
                let siteName = try site.has("name") ? site.nonEmptyString("name") : "Default"
                let custom =
                    try await CustomFieldValues.storable(body.fields["custom_fields"], owner: "client", current: nil, pool: host.pool)
                    ?? .object([:])
                try await host.pool.transaction { connection in
                    do {
                        let id = try connection.query(
                            "INSERT INTO clients (name, custom_fields, created_by) VALUES ($1, $2::jsonb, $3) RETURNING id",
                            [clientName, custom.databaseText, call.principal?.name ?? ""]
                        ).first!.int("id")
                        try connection.query(
                            "INSERT INTO sites (client_id, name, created_by) VALUES ($1, $2, $3)",
                            [String(id), siteName, call.principal?.name ?? ""])
                        try AuditLog.record(
                            .init(
                                call, .add, "client", "Added client \(clientName) with site \(siteName)",
                                after: ["id": .init(id), "name": .init(clientName), "site": .init(siteName)]), on: connection)
                    } catch let error as DatabaseError where error.isUniqueViolation {
                        throw APIError.badRequest("A client named \(clientName) already exists.")
                    }
                }
                return Responses.message("\(clientName) was added")
            },
            Route(.get, "/clients/<pk>/", access: .permission("can_list_clients"), summary: "One client") { call in
                let id = try call.intParam("pk")
                guard let client = try await visibleClients(host, try call.user, only: id).first else {
                    throw APIError.notFound("No client with id \(id).")
                }
                return Responses.json(
                    CustomFieldValues.restShaped(client, owner: "client", definitions: try await CustomFieldDefinition.load(host.pool)))
            },
            Route(.put, "/clients/<pk>/", access: .permission("can_manage_clients"), summary: "Edit a client") { call in
                let id = try call.intParam("pk")
                let body = try call.object()
                let fields = FieldReader(body.fields["client"]?.objectValue ?? body.fields)
                let before = try await writableClient(host, call, id)
                let custom = try await CustomFieldValues.storable(
                    body.fields["custom_fields"], owner: "client", current: before["custom_fields"], pool: host.pool)
                try await host.pool.transaction { connection in
                    do {
                        try connection.query(
                            """
                            UPDATE clients SET name = coalesce($2, name), block_policy_inheritance = coalesce($3::boolean, block_policy_inheritance),
                                custom_fields = coalesce($4::jsonb, custom_fields), modified_by = $5, modified_time = now() WHERE id = $1
                            """,
                            [
                                String(id), try fields.optionalString("name"),
                                try fields.optionalBool("block_policy_inheritance").map { $0 ? "t" : "f" },
                                custom?.databaseText, call.principal?.name ?? "",
                            ])
                    } catch let error as DatabaseError where error.isUniqueViolation {
                        throw APIError.badRequest("Another client already has that name.")
                    }
                    try PolicyAssignment.apply(connection, table: "clients", id: String(id), fields: fields)
                    try AuditLog.record(
                        .init(
                            call, .modify, "client", "Modified client \(before["name"]?.stringValue ?? "")", before: before,
                            after: .object(body.fields), clientID: id), on: connection)
                }
                return Responses.message("The client was updated")
            },
            Route(
                .delete, "/clients/<pk>/", access: .permission("can_manage_clients"),
                summary: "Delete a client (agents move to ?move_to_site=)"
            ) { call in
                let id = try call.intParam("pk")
                let before = try await writableClient(host, call, id)
                let moveTo = try moveTarget(call)
                try await host.pool.transaction { connection in
                    try moveAgents(connection, from: "client_id", id: id, to: moveTo, excludingClient: id, scope: try call.user.scope)
                    try connection.query("DELETE FROM sites WHERE client_id = $1", [String(id)])
                    try connection.query("DELETE FROM clients WHERE id = $1", [String(id)])
                    try AuditLog.record(
                        .init(call, .delete, "client", "Deleted client \(before["name"]?.stringValue ?? "")", before: before, clientID: id),
                        on: connection)
                }
                return Responses.message("\(before["name"]?.stringValue ?? "The client") was deleted")
            },
            Route(.get, "/clients/sites/", access: .permission("can_list_sites"), summary: "Sites") { call in
                let definitions = try await CustomFieldDefinition.load(host.pool, model: "site")
                return Responses.json(
                    .array(
                        try await visibleSites(host, try call.user).map {
                            CustomFieldValues.restShaped(renderSite($0), owner: "site", definitions: definitions)
                        }))
            },
            Route(.post, "/clients/sites/", access: .permission("can_manage_sites"), summary: "Create a site") { call in
                let body = try call.object()
                let site = FieldReader(body.fields["site"]?.objectValue ?? body.fields)
                let clientID = try site.int("client")
                let name = try site.nonEmptyString("name")
                let user = try call.user
                if !user.scope.allows(clientID: clientID, siteID: nil) {
                    // Seen through one of its sites: the client exists for them, but adding a site is a client-level write.
                    if try await visibleClients(host, user, only: clientID).isEmpty {
                        throw APIError.notFound("No client with id \(clientID).")
                    }
                    throw APIError.forbidden(
                        "Adding a site to client \(clientID) needs a role scoped to the whole client; yours covers only some of its sites.")
                }
                let custom = try await CustomFieldValues.storable(
                    body.fields["custom_fields"], owner: "site", current: nil, pool: host.pool)
                try await host.pool.transaction { connection in
                    do {
                        try connection.query(
                            "INSERT INTO sites (client_id, name, custom_fields, created_by) VALUES ($1, $2, $3::jsonb, $4)",
                            [String(clientID), name, (custom ?? .object([:])).databaseText, user.username])
                    } catch let error as DatabaseError where error.isUniqueViolation {
                        throw APIError.badRequest("Client \(clientID) already has a site named \(name).")
                    } catch let error as DatabaseError where error.isForeignKeyViolation {
                        throw APIError.badRequest("Client \(clientID) does not exist.")
                    }
                    try AuditLog.record(
                        .init(
                            call, .add, "site", "Added site \(name) to client \(clientID)", after: .object(site.fields), clientID: clientID),
                        on: connection)
                }
                return Responses.message("Site \(name) was added")
            },
            Route(.get, "/clients/sites/<pk>/", access: .permission("can_list_sites"), summary: "One site") { call in
                let id = try call.intParam("pk")
                guard let site = try await visibleSites(host, try call.user, only: id).first else {
                    throw APIError.notFound("No site with id \(id).")
                }
                return Responses.json(
                    CustomFieldValues.restShaped(
                        renderSite(site), owner: "site", definitions: try await CustomFieldDefinition.load(host.pool, model: "site")))
            },
            Route(.put, "/clients/sites/<pk>/", access: .permission("can_manage_sites"), summary: "Edit a site") { call in
                let id = try call.intParam("pk")
                let body = try call.object()
                let fields = FieldReader(body.fields["site"]?.objectValue ?? body.fields)
                guard let before = try await visibleSites(host, try call.user, only: id).first else {
                    throw APIError.notFound("No site with id \(id).")
                }
                let custom = try await CustomFieldValues.storable(
                    body.fields["custom_fields"], owner: "site", current: .fromDatabase(before["custom_fields"], fallback: [:]),
                    pool: host.pool)
                try await host.pool.transaction { connection in
                    do {
                        try connection.query(
                            """
                            UPDATE sites SET name = coalesce($2, name), block_policy_inheritance = coalesce($3::boolean, block_policy_inheritance),
                                custom_fields = coalesce($4::jsonb, custom_fields), modified_by = $5, modified_time = now() WHERE id = $1
                            """,
                            [
                                String(id), try fields.optionalString("name"),
                                try fields.optionalBool("block_policy_inheritance").map { $0 ? "t" : "f" },
                                custom?.databaseText, call.principal?.name ?? "",
                            ])
                    } catch let error as DatabaseError where error.isUniqueViolation {
                        throw APIError.badRequest("The client already has a site with that name.")
                    }
                    try PolicyAssignment.apply(connection, table: "sites", id: String(id), fields: fields)
                    try AuditLog.record(
                        .init(
                            call, .modify, "site", "Modified site \(before.string("name"))", before: renderSite(before),
                            after: .object(fields.fields), clientID: before.int("client_id"), siteID: id), on: connection)
                }
                return Responses.message("The site was updated")
            },
            Route(
                .delete, "/clients/sites/<pk>/", access: .permission("can_manage_sites"),
                summary: "Delete a site (agents move to ?move_to_site=)"
            ) { call in
                let id = try call.intParam("pk")
                guard let before = try await visibleSites(host, try call.user, only: id).first else {
                    throw APIError.notFound("No site with id \(id).")
                }
                let moveTo = try moveTarget(call)
                try await host.pool.transaction { connection in
                    let remaining = try connection.query(
                        "SELECT count(*) AS n FROM sites WHERE client_id = $1", [String(before.int("client_id"))]
                    ).first!.int("n")
                    if remaining <= 1 { throw APIError.badRequest("A client must keep at least one site; delete the client instead.") }
                    try moveAgents(connection, from: "site_id", id: id, to: moveTo, excludingClient: nil, scope: try call.user.scope)
                    try connection.query("DELETE FROM sites WHERE id = $1", [String(id)])
                    try AuditLog.record(
                        .init(
                            call, .delete, "site", "Deleted site \(before.string("name"))", before: renderSite(before),
                            clientID: before.int("client_id"), siteID: id), on: connection)
                }
                return Responses.message("Site \(before.string("name")) was deleted")
            },
        ]
    }

    /// A client write (rename, delete, policies) changes every site of it, so it needs the
    /// client in the role's scope, not only some of its sites: 404 when the client is not
    /// visible at all, 403 when it is seen only through a site.
    static func writableClient(_ host: HostContext, _ call: Call, _ id: Int) async throws -> JSON {
        let user = try call.user
        guard let client = try await visibleClients(host, user, only: id).first else { throw APIError.notFound("No client with id \(id).") }
        if !user.scope.allows(clientID: id, siteID: nil) {
            throw APIError.forbidden("Changing client \(id) needs a role scoped to the whole client; yours covers only some of its sites.")
        }
        return client
    }

    /// `?move_to_site=`: absent, or a site id (anything else is a 400, not "no move").
    static func moveTarget(_ call: Call) throws -> Int? {
        guard let text = call.query["move_to_site"], !text.isEmpty else { return nil }
        guard let id = Int(text), id > 0 else { throw APIError.badRequest("move_to_site must be a site id, got '\(text)'.") }
        return id
    }

    /// Agents are never deleted with their client or site: they move, or the delete is refused.
    /// The site they move to must be inside the caller's scope (404 as if it did not exist).
    static func moveAgents(
        _ connection: PGConnection, from column: String, id: Int, to site: Int?, excludingClient: Int?, scope: ObjectScope
    ) throws {
        let count = try connection.query("SELECT count(*) AS n FROM agents WHERE \(column) = $1", [String(id)]).first!.int("n")
        guard count > 0 else { return }
        guard let site else {
            throw APIError.badRequest("\(count) agents still belong here; pass ?move_to_site=<site id> to move them first.")
        }
        guard let target = try connection.query("SELECT id, client_id FROM sites WHERE id = $1", [String(site)]).first,
            scope.allows(clientID: target.int("client_id"), siteID: site)
        else {
            throw APIError.notFound("move_to_site: no site with id \(site).")
        }
        guard target.int("client_id") != excludingClient, !(column == "site_id" && site == id) else {
            throw APIError.badRequest("move_to_site \(site) is not a site the agents can move to.")
        }
        try connection.query(
            "UPDATE agents SET site_id = $2, client_id = $3 WHERE \(column) = $1",
            [String(id), String(site), String(target.int("client_id"))])
    }
}
