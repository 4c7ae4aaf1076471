import Foundation
import Hummingbird

/// Operators: `/accounts/users/`, `/accounts/<pk>/users/`, password resets. The table names
/// each route's handler; the handlers read UserRow through UserQueries and apply the grant
/// rules (Accounts/GrantRules.swift) before they write.
struct UserRoutes {
    let host: HostContext

    static func routes(_ host: HostContext) -> [Route] {
        let routes = UserRoutes(host: host)
        return [
            Route(.get, "/accounts/users/", access: .permission("can_list_accounts"), summary: "List operators", handler: routes.list),
            Route(.post, "/accounts/users/", access: .permission("can_manage_accounts"), summary: "Create an operator", handler: routes.create),
            Route(.get, "/accounts/<pk>/users/", access: .permission("can_list_accounts"), summary: "One operator", handler: routes.show),
            Route(.put, "/accounts/<pk>/users/", access: .permission("can_manage_accounts"), summary: "Edit an operator", handler: routes.edit),
            Route(.delete, "/accounts/<pk>/users/", access: .permission("can_manage_accounts"), summary: "Delete an operator", handler: routes.delete),
            Route(
                .post, "/accounts/users/reset/", access: .permission("can_manage_accounts"), summary: "Set another operator's password",
                handler: routes.resetPassword),
            Route(.put, "/accounts/resetpw/", access: .authenticated, summary: "Change your own password", handler: routes.changeOwnPassword),
            Route(.patch, "/accounts/users/ui/", access: .authenticated, summary: "Change your own dashboard preferences", handler: routes.editOwnUI),
        ]
    }

    @Sendable func list(_ call: Call) async throws -> Response {
        Responses.json(.array(try await UserQueries.all(host.pool).map(\.json)))
    }

    @Sendable func create(_ call: Call) async throws -> Response {
        let body = try call.object()
        let username = try body.nonEmptyString("username")
        let password = try body.string("password")
        try PasswordPolicy.check(password)
        let superuser = try body.optionalBool("is_superuser") ?? false
        let caller = try call.user
        let role = try body.optionalInt("role")
        try await GrantRules.checked(call, host, "user") {
            if superuser, !caller.isSuperuser { throw APIError.forbidden("Only a superuser can create another superuser.") }
            try await GrantRules.requireWithin(try await GrantRules.rights(ofRoleID: role, host.pool), caller: caller, host.pool)
        }
        let new = UserQueries.New(
            username: username, email: try body.optionalString("email") ?? "", firstName: try body.optionalString("first_name") ?? "",
            lastName: try body.optionalString("last_name") ?? "", passwordHash: try await hashed(password), role: role, superuser: superuser,
            blockDashboardLogin: try body.optionalBool("block_dashboard_login") ?? false)
        let user = try await host.pool.transaction { connection in
            do {
                let user = try UserQueries.insert(connection, new)
                try AuditLog.record(.init(call, .add, "user", "Added user \(username)", after: user.json), on: connection)
                return user
            } catch let error as DatabaseError where error.isUniqueViolation {
                throw APIError.badRequest("A user named \(username) already exists.")
            } catch let error as DatabaseError where error.isForeignKeyViolation {
                throw APIError.badRequest("Role \(role.map(String.init) ?? "") does not exist.")
            }
        }
        return Responses.json(user.json)
    }

    @Sendable func show(_ call: Call) async throws -> Response {
        Responses.json(try await load(try call.intParam("pk")).json)
    }

    @Sendable func edit(_ call: Call) async throws -> Response {
        let id = try call.intParam("pk")
        let body = try call.object()
        let before = try await load(id)
        let caller = try call.user
        let newRole = try body.optionalInt("role")
        try await GrantRules.checked(call, host, "user") {
            if let superuser = try body.optionalBool("is_superuser"), superuser != before.isSuperuser, !caller.isSuperuser {
                throw APIError.forbidden("Only a superuser can grant or remove superuser status.")
            }
            if id == caller.id {
                if body.has("role"), newRole != before.roleID {
                    throw APIError.forbidden("You cannot change your own role; ask another administrator.")
                }
                if try body.optionalBool("is_active") == false { throw APIError.forbidden("You cannot deactivate your own account.") }
                if try body.optionalBool("is_superuser") == false {
                    throw APIError.forbidden("You cannot remove your own superuser status; ask another superuser.")
                }
            } else {
                _ = try await GrantRules.requireMayManage(user: id, caller: caller, host.pool)
            }
            if body.has("role"), newRole != before.roleID {
                try await GrantRules.requireWithin(try await GrantRules.rights(ofRoleID: newRole, host.pool), caller: caller, host.pool)
            }
        }
        let edit = UserQueries.Edit(
            email: try body.optionalString("email"), firstName: try body.optionalString("first_name"),
            lastName: try body.optionalString("last_name"), isActive: try body.optionalBool("is_active"), setsRole: body.has("role"),
            role: newRole, blockDashboardLogin: try body.optionalBool("block_dashboard_login"), superuser: try body.optionalBool("is_superuser"))
        let after = try await host.pool.transaction { connection in
            let after = try UserQueries.update(connection, id: id, edit)
            try AuditLog.record(
                .init(call, .modify, "user", "Modified user \(after.username)", before: before.json, after: after.json), on: connection)
            return after
        }
        host.authenticator.invalidateAll()
        return Responses.json(after.json)
    }

    @Sendable func delete(_ call: Call) async throws -> Response {
        let id = try call.intParam("pk")
        let caller = try call.user
        if id == caller.id { throw APIError.badRequest("You cannot delete your own account.") }
        let before = try await load(id)
        _ = try await GrantRules.checked(call, host, "user") { try await GrantRules.requireMayManage(user: id, caller: caller, host.pool) }
        try await host.pool.transaction { connection in
            try UserQueries.delete(connection, id: id)
            try AuditLog.record(.init(call, .delete, "user", "Deleted user \(before.username)", before: before.json), on: connection)
        }
        host.authenticator.invalidateAll()
        return Responses.message("\(before.username) was deleted")
    }

    @Sendable func resetPassword(_ call: Call) async throws -> Response {
        let body = try call.object()
        let id = try body.int("id")
        let password = try body.string("password")
        try PasswordPolicy.check(password)
        let user = try await load(id)
        let caller = try call.user
        if id != caller.id {
            _ = try await GrantRules.checked(call, host, "user") { try await GrantRules.requireMayManage(user: id, caller: caller, host.pool) }
        }
        try await setPassword(call, id: id, username: user.username, password: password)
        return Responses.message("Password was reset.")
    }

    @Sendable func changeOwnPassword(_ call: Call) async throws -> Response {
        let user = try call.user
        let password = try call.object().string("password")
        try PasswordPolicy.check(password)
        try await setPassword(call, id: user.id, username: user.username, password: password)
        return Responses.message("Password was reset.")
    }

    /// Partial: only the fields sent change (Accounts/Users/UserUI.swift).
    @Sendable func editOwnUI(_ call: Call) async throws -> Response {
        let user = try call.user
        let (ui, block) = try UserUI.validated(try call.object().fields)
        try await host.pool.query(
            "UPDATE users SET ui = ui || $2::jsonb, block_dashboard_login = coalesce($3::boolean, block_dashboard_login) WHERE id = $1",
            [String(user.id), JSON.object(ui).databaseText, block.map { $0 ? "true" : "false" }])
        return Responses.message("ok")
    }

    func load(_ id: Int) async throws -> UserRow {
        guard let user = try await UserQueries.load(host.pool, id: id) else { throw APIError.notFound("No user with id \(id).") }
        return user
    }

    func hashed(_ password: String) async throws -> String {
        let hasher = host.hasher
        return try await host.blocking.runIfActive { hasher.hash(password) }
    }

    /// A new password also ends every session of that user.
    func setPassword(_ call: Call, id: Int, username: String, password: String) async throws {
        let hash = try await hashed(password)
        try await host.pool.transaction { connection in
            try UserQueries.setPassword(connection, id: id, hash: hash)
            try AuditLog.record(.init(call, .modify, "user", "Password of \(username) was reset"), on: connection)
        }
        host.authenticator.invalidateAll()
    }
}

enum PasswordPolicy {
    static func check(_ password: String) throws {
        if password.count < 8 { throw APIError.badRequest("The password must be at least 8 characters long.") }
        if password.utf8.count > 1024 { throw APIError.badRequest("The password must be at most 1024 bytes long.") }
    }
}
