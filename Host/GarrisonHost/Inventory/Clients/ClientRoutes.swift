import Foundation
import Hummingbird

/// Clients and their sites (`/clients/`, `/clients/sites/`), scoped by the caller's role. The
/// table names each route's handler; the handlers read typed rows (ClientRows.swift) through
/// ClientQueries, and write in one transaction with their audit entry.
struct ClientRoutes {
    let host: HostContext

    static func routes(_ host: HostContext) -> [Route] {
        let routes = ClientRoutes(host: host)
        return [
            Route(.get, "/clients/", access: .permission("can_list_clients"), summary: "Clients with their sites", handler: routes.list),
            Route(.post, "/clients/", access: .permission("can_manage_clients"), summary: "Create a client and its first site", handler: routes.create),
            Route(.get, "/clients/<pk>/", access: .permission("can_list_clients"), summary: "One client", handler: routes.show),
            Route(.put, "/clients/<pk>/", access: .permission("can_manage_clients"), summary: "Edit a client", handler: routes.edit),
            Route(
                .delete, "/clients/<pk>/", access: .permission("can_manage_clients"), summary: "Delete a client (agents move to ?move_to_site=)",
                handler: routes.delete),
            Route(.get, "/clients/sites/", access: .permission("can_list_sites"), summary: "Sites", handler: routes.listSites),
            Route(.post, "/clients/sites/", access: .permission("can_manage_sites"), summary: "Create a site", handler: routes.createSite),
            Route(.get, "/clients/sites/<pk>/", access: .permission("can_list_sites"), summary: "One site", handler: routes.showSite),
            Route(.put, "/clients/sites/<pk>/", access: .permission("can_manage_sites"), summary: "Edit a site", handler: routes.editSite),
            Route(
                .delete, "/clients/sites/<pk>/", access: .permission("can_manage_sites"), summary: "Delete a site (agents move to ?move_to_site=)",
                handler: routes.deleteSite),
        ]
    }

    /// Clients visible to `user` as Tactical RMM renders them (PolicyRoutes' overview too).
    static func visibleClients(_ host: HostContext, _ user: OperatorIdentity) async throws -> [JSON] {
        try await ClientQueries.visibleClients(host.pool, user.scope).map { $0.json(sites: $1) }
    }

    // MARK: clients

    @Sendable func list(_ call: Call) async throws -> Response {
        let definitions = try await CustomFieldDefinition.load(host.pool)
        let clients = try await ClientQueries.visibleClients(host.pool, try call.user.scope)
        return Responses.json(.array(clients.map { CustomFieldValues.restShaped($0.json(sites: $1), owner: "client", definitions: definitions) }))
    }

    @Sendable func create(_ call: Call) async throws -> Response {
        // A new client would lie outside a limited role's own scope at once.
        try await GrantRules.checked(call, host, "client") { try call.user.requireUnrestricted("New clients") }
        let body = try call.object()
        let client = FieldReader(body.fields["client"]?.objectValue ?? [:])
        let site = FieldReader(body.fields["site"]?.objectValue ?? [:])
        let clientName = try client.has("name") ? client.nonEmptyString("name") : body.nonEmptyString("name")
        let siteName = try site.has("name") ? site.nonEmptyString("name") : "Default"
        let custom =
            try await CustomFieldValues.storable(body.fields["custom_fields"], owner: "client", current: nil, pool: host.pool) ?? .object([:])
        try await host.pool.transaction { connection in
            do {
                let id = try ClientQueries.insertClient(
                    connection, name: clientName, site: siteName, customFields: custom, by: call.principal?.name ?? "")
                try AuditLog.record(
                    .init(
                        call, .add, "client", "Added client \(clientName) with site \(siteName)",
                        after: ["id": .init(id), "name": .init(clientName), "site": .init(siteName)]), on: connection)
            } catch let error as DatabaseError where error.isUniqueViolation {
                throw APIError.badRequest("A client named \(clientName) already exists.")
            }
        }
        return Responses.message("\(clientName) was added")
    }

    @Sendable func show(_ call: Call) async throws -> Response {
        let id = try call.intParam("pk")
        guard let (client, sites) = try await ClientQueries.visibleClients(host.pool, try call.user.scope, only: id).first else {
            throw APIError.notFound("No client with id \(id).")
        }
        let definitions = try await CustomFieldDefinition.load(host.pool)
        return Responses.json(CustomFieldValues.restShaped(client.json(sites: sites), owner: "client", definitions: definitions))
    }

    @Sendable func edit(_ call: Call) async throws -> Response {
        let id = try call.intParam("pk")
        let body = try call.object()
        let fields = FieldReader(body.fields["client"]?.objectValue ?? body.fields)
        let (before, sites) = try await writableClient(call, id)
        let edit = ClientQueries.Edit(
            name: try fields.optionalString("name"), blockPolicyInheritance: try fields.optionalBool("block_policy_inheritance"),
            customFields: try await CustomFieldValues.storable(
                body.fields["custom_fields"], owner: "client", current: before.customFields, pool: host.pool),
            by: call.principal?.name ?? "")
        try await host.pool.transaction { connection in
            do { try ClientQueries.update(connection, table: "clients", id: id, edit) } catch let error as DatabaseError
                where error.isUniqueViolation
            {
                throw APIError.badRequest("Another client already has that name.")
            }
            try PolicyAssignment.apply(connection, table: "clients", id: String(id), fields: fields)
            try AuditLog.record(
                .init(
                    call, .modify, "client", "Modified client \(before.name)", before: before.json(sites: sites), after: .object(body.fields),
                    clientID: id), on: connection)
        }
        return Responses.message("The client was updated")
    }

    @Sendable func delete(_ call: Call) async throws -> Response {
        let id = try call.intParam("pk")
        let (before, sites) = try await writableClient(call, id)
        let moveTo = try moveTarget(call)
        let scope = try call.user.scope
        try await host.pool.transaction { connection in
            try ClientQueries.moveAgents(connection, of: .client(id), to: moveTo, scope: scope)
            try ClientQueries.deleteClient(connection, id: id)
            try AuditLog.record(
                .init(call, .delete, "client", "Deleted client \(before.name)", before: before.json(sites: sites), clientID: id), on: connection)
        }
        return Responses.message("\(before.name) was deleted")
    }

    /// A client write (rename, delete, policies) changes every site of it, so it needs the
    /// client in the role's scope, not only some of its sites: 404 when the client is not
    /// visible at all, 403 when it is seen only through a site.
    func writableClient(_ call: Call, _ id: Int) async throws -> (ClientRow, [SiteRow]) {
        let user = try call.user
        guard let client = try await ClientQueries.visibleClients(host.pool, user.scope, only: id).first else {
            throw APIError.notFound("No client with id \(id).")
        }
        if !user.scope.allows(clientID: id, siteID: nil) {
            throw APIError.forbidden("Changing client \(id) needs a role scoped to the whole client; yours covers only some of its sites.")
        }
        return client
    }

    // MARK: sites

    @Sendable func listSites(_ call: Call) async throws -> Response {
        let definitions = try await CustomFieldDefinition.load(host.pool, model: "site")
        let sites = try await ClientQueries.visibleSites(host.pool, try call.user.scope)
        return Responses.json(.array(sites.map { CustomFieldValues.restShaped($0.json, owner: "site", definitions: definitions) }))
    }

    @Sendable func createSite(_ call: Call) async throws -> Response {
        let body = try call.object()
        let site = FieldReader(body.fields["site"]?.objectValue ?? body.fields)
        let clientID = try site.int("client")
        let name = try site.nonEmptyString("name")
        let user = try call.user
        if !user.scope.allows(clientID: clientID, siteID: nil) {
            // Seen through one of its sites: the client exists for them, but adding a site is a client-level write.
            if try await ClientQueries.visibleClients(host.pool, user.scope, only: clientID).isEmpty {
                throw APIError.notFound("No client with id \(clientID).")
            }
            throw APIError.forbidden(
                "Adding a site to client \(clientID) needs a role scoped to the whole client; yours covers only some of its sites.")
        }
        let custom = try await CustomFieldValues.storable(body.fields["custom_fields"], owner: "site", current: nil, pool: host.pool)
        try await host.pool.transaction { connection in
            do {
                try ClientQueries.insertSite(connection, client: clientID, name: name, customFields: custom ?? .object([:]), by: user.username)
            } catch let error as DatabaseError where error.isUniqueViolation {
                throw APIError.badRequest("Client \(clientID) already has a site named \(name).")
            } catch let error as DatabaseError where error.isForeignKeyViolation {
                throw APIError.badRequest("Client \(clientID) does not exist.")
            }
            try AuditLog.record(
                .init(call, .add, "site", "Added site \(name) to client \(clientID)", after: .object(site.fields), clientID: clientID),
                on: connection)
        }
        return Responses.message("Site \(name) was added")
    }

    @Sendable func showSite(_ call: Call) async throws -> Response {
        let site = try await visibleSite(call)
        let definitions = try await CustomFieldDefinition.load(host.pool, model: "site")
        return Responses.json(CustomFieldValues.restShaped(site.json, owner: "site", definitions: definitions))
    }

    @Sendable func editSite(_ call: Call) async throws -> Response {
        let body = try call.object()
        let fields = FieldReader(body.fields["site"]?.objectValue ?? body.fields)
        let before = try await visibleSite(call)
        let edit = ClientQueries.Edit(
            name: try fields.optionalString("name"), blockPolicyInheritance: try fields.optionalBool("block_policy_inheritance"),
            customFields: try await CustomFieldValues.storable(
                body.fields["custom_fields"], owner: "site", current: before.customFields, pool: host.pool),
            by: call.principal?.name ?? "")
        try await host.pool.transaction { connection in
            do { try ClientQueries.update(connection, table: "sites", id: before.id, edit) } catch let error as DatabaseError
                where error.isUniqueViolation
            {
                throw APIError.badRequest("The client already has a site with that name.")
            }
            try PolicyAssignment.apply(connection, table: "sites", id: String(before.id), fields: fields)
            try AuditLog.record(
                .init(
                    call, .modify, "site", "Modified site \(before.name)", before: before.json, after: .object(fields.fields),
                    clientID: before.clientID, siteID: before.id), on: connection)
        }
        return Responses.message("The site was updated")
    }

    @Sendable func deleteSite(_ call: Call) async throws -> Response {
        let before = try await visibleSite(call)
        let moveTo = try moveTarget(call)
        let scope = try call.user.scope
        try await host.pool.transaction { connection in
            if try ClientQueries.siteCount(connection, client: before.clientID) <= 1 {
                throw APIError.badRequest("A client must keep at least one site; delete the client instead.")
            }
            try ClientQueries.moveAgents(connection, of: .site(before.id), to: moveTo, scope: scope)
            try ClientQueries.deleteSite(connection, id: before.id)
            try AuditLog.record(
                .init(
                    call, .delete, "site", "Deleted site \(before.name)", before: before.json, clientID: before.clientID, siteID: before.id),
                on: connection)
        }
        return Responses.message("Site \(before.name) was deleted")
    }

    /// The site named by `<pk>`, if the caller's role may see it; 404 otherwise.
    func visibleSite(_ call: Call) async throws -> SiteRow {
        let id = try call.intParam("pk")
        guard let site = try await ClientQueries.visibleSites(host.pool, try call.user.scope, only: id).first else {
            throw APIError.notFound("No site with id \(id).")
        }
        return site
    }

    /// `?move_to_site=`: absent, or a site id (anything else is a 400, not "no move").
    func moveTarget(_ call: Call) throws -> Int? {
        guard let text = call.query["move_to_site"], !text.isEmpty else { return nil }
        guard let id = Int(text), id > 0 else { throw APIError.badRequest("move_to_site must be a site id, got '\(text)'.") }
        return id
    }
}
