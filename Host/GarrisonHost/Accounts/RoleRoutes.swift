import Foundation
import Hummingbird

/// Roles: Tactical RMM's boolean permission fields plus client/site scoping lists.
/// Plugin permissions (`plugin:<name>:<verb>`) travel in an extra `plugin_permissions` list.
enum RoleRoutes {
    static let columns =
        "r.id, r.name, r.is_superuser, r.permissions, r.can_view_clients, r.can_view_sites, r.created_by, r.created_time, r.modified_time, (SELECT count(*) FROM users u WHERE u.role_id = r.id) AS user_count"

    static func render(_ row: PGRow) -> JSON {
        let granted = Set(PGArray.parse(row["permissions"]))
        var fields: [String: JSON] = [
            "id": .init(row.int("id")), "name": .init(row.string("name")), "is_superuser": .init(row.bool("is_superuser")),
            "can_view_clients": .init(PGArray.ints(row["can_view_clients"])), "can_view_sites": .init(PGArray.ints(row["can_view_sites"])),
            "user_count": .init(row.int("user_count")), "created_by": .init(row.string("created_by")),
            "created_time": .init(row["created_time"]), "modified_time": .init(row["modified_time"]),
            "plugin_permissions": .init(granted.filter { !Permissions.known.contains($0) }.sorted()),
        ]
        for name in Permissions.all { fields[name] = .bool(granted.contains(name)) }
        return .object(fields)
    }

    /// Reads the permission set from a role body: `can_*` booleans and `plugin_permissions`.
    static func permissions(_ body: FieldReader, existing: Set<String>) throws -> [String] {
        var granted = existing
        for name in Permissions.all {
            if let value = try body.optionalBool(name) { if value { granted.insert(name) } else { granted.remove(name) } }
        }
        for key in body.fields.keys
        where key.hasPrefix("can_") && !Permissions.known.contains(key) && key != "can_view_clients" && key != "can_view_sites" {
            throw APIError.badRequest("Unknown permission '\(key)'.")
        }
        if let plugin = try body.optionalStringArray("plugin_permissions") {
            granted = granted.filter { Permissions.known.contains($0) }
            for name in plugin {
                guard Permissions.isValid(name), !Permissions.known.contains(name) else {
                    throw APIError.badRequest("'\(name)' is not a plugin permission; use the form plugin:<name>:<verb>.")
                }
                granted.insert(name)
            }
        }
        return granted.sorted()
    }

    static func routes(_ host: HostContext) -> [Route] {
        [
            Route(.get, "/accounts/roles/", access: .permission("can_list_roles"), summary: "List roles") { _ in
                let rows = try await host.pool.query("SELECT \(columns) FROM roles r ORDER BY r.name").rows
                return Responses.json(.array(rows.map(render)))
            },
            Route(.post, "/accounts/roles/", access: .permission("can_manage_roles"), summary: "Create a role") { call in
                let body = try call.object()
                let name = try body.nonEmptyString("name")
                let granted = try permissions(body, existing: [])
                let superuser = try body.optionalBool("is_superuser") ?? false
                let caller = try call.user
                let scope = ObjectScope(
                    clients: Set(try body.optionalIntArray("can_view_clients") ?? []),
                    sites: Set(try body.optionalIntArray("can_view_sites") ?? []))
                try await GrantRules.checked(call, host, "role") {
                    if superuser, !caller.isSuperuser { throw APIError.forbidden("Only a superuser can create a superuser role.") }
                    try await GrantRules.requireWithin(
                        .init(superuser: false, permissions: Set(granted), scope: scope), caller: caller, host.pool)
                }
                let row = try await host.pool.transaction { connection in
                    do {
                        let id = try connection.query(
                            """
                            INSERT INTO roles (name, is_superuser, permissions, can_view_clients, can_view_sites, created_by)
                            VALUES ($1, $2, $3, $4, $5, $6) RETURNING id
                            """,
                            [
                                name, superuser ? "t" : "f", PGArray.literal(granted), PGArray.literal(scope.clients.sorted()),
                                PGArray.literal(scope.sites.sorted()), call.principal?.name ?? "",
                            ]
                        ).first!.int("id")
                        let row = try connection.query("SELECT \(columns) FROM roles r WHERE r.id = $1", [String(id)]).first!
                        try AuditLog.record(.init(call, .add, "role", "Added role \(name)", after: render(row)), on: connection)
                        return row
                    } catch let error as DatabaseError where error.isUniqueViolation {
                        throw APIError.badRequest("A role named \(name) already exists.")
                    }
                }
                return Responses.json(render(row))
            },
            Route(.get, "/accounts/roles/<pk>/", access: .permission("can_list_roles"), summary: "One role") { call in
                Responses.json(render(try await load(host, try call.intParam("pk"))))
            },
            Route(.put, "/accounts/roles/<pk>/", access: .permission("can_manage_roles"), summary: "Edit a role") { call in
                let id = try call.intParam("pk")
                let body = try call.object()
                let before = try await load(host, id)
                let held = Set(PGArray.parse(before["permissions"]))
                let granted = try permissions(body, existing: held)
                let caller = try call.user
                let clients = try body.optionalIntArray("can_view_clients")
                let sites = try body.optionalIntArray("can_view_sites")
                try await GrantRules.checked(call, host, "role") {
                    if caller.isSuperuser { return }
                    if caller.roleID == id { throw APIError.forbidden("You cannot edit a role you hold; ask another administrator.") }
                    if before.bool("is_superuser") { throw APIError.forbidden("Only a superuser can change a superuser role.") }
                    if try body.optionalBool("is_superuser") == true {
                        throw APIError.forbidden("Only a superuser can change a role's superuser flag.")
                    }
                    // Only what is added is a grant: taking a permission away is always allowed.
                    let had = GrantRules.rights(ofRole: before)
                    let scope = ObjectScope(
                        clients: clients.map(Set.init) ?? had.scope.clients, sites: sites.map(Set.init) ?? had.scope.sites)
                    try GrantRules.requirePermissionsHeld(Set(granted).subtracting(held), caller: caller)
                    if scope != had.scope { try await GrantRules.requireScopeWithin(scope, caller: caller, host.pool) }
                }
                let row = try await host.pool.transaction { connection in
                    do {
                        try connection.query(
                            """
                            UPDATE roles SET name = coalesce($2, name), is_superuser = coalesce($3::boolean, is_superuser), permissions = $4,
                                can_view_clients = coalesce($5::bigint[], can_view_clients), can_view_sites = coalesce($6::bigint[], can_view_sites),
                                modified_time = now()
                            WHERE id = $1
                            """,
                            [
                                String(id), try body.optionalString("name"), try body.optionalBool("is_superuser").map { $0 ? "t" : "f" },
                                PGArray.literal(granted),
                                clients.map(PGArray.literal), sites.map(PGArray.literal),
                            ])
                    } catch let error as DatabaseError where error.isUniqueViolation {
                        throw APIError.badRequest("Another role already has that name.")
                    }
                    let row = try connection.query("SELECT \(columns) FROM roles r WHERE r.id = $1", [String(id)]).first!
                    try AuditLog.record(
                        .init(call, .modify, "role", "Modified role \(row.string("name"))", before: render(before), after: render(row)),
                        on: connection)
                    return row
                }
                host.authenticator.invalidateAll()
                return Responses.json(render(row))
            },
            Route(.delete, "/accounts/roles/<pk>/", access: .permission("can_manage_roles"), summary: "Delete a role") { call in
                let id = try call.intParam("pk")
                let before = try await load(host, id)
                let caller = try call.user
                try await GrantRules.checked(call, host, "role") {
                    if caller.isSuperuser { return }
                    if caller.roleID == id { throw APIError.forbidden("You cannot delete a role you hold; ask another administrator.") }
                    if before.bool("is_superuser") { throw APIError.forbidden("Only a superuser can delete a superuser role.") }
                    // Deleting strips its holders: only a role within the caller's own rights and scope.
                    try await GrantRules.requireWithin(GrantRules.rights(ofRole: before), caller: caller, host.pool)
                }
                try await host.pool.transaction { connection in
                    try connection.query("DELETE FROM roles WHERE id = $1", [String(id)])
                    try AuditLog.record(
                        .init(call, .delete, "role", "Deleted role \(before.string("name"))", before: render(before)), on: connection)
                }
                host.authenticator.invalidateAll()
                return Responses.message("Role \(before.string("name")) was removed")
            },
        ]
    }

    static func load(_ host: HostContext, _ id: Int) async throws -> PGRow {
        guard let row = try await host.pool.query("SELECT \(columns) FROM roles r WHERE r.id = $1", [String(id)]).first else {
            throw APIError.notFound("No role with id \(id).")
        }
        return row
    }
}
