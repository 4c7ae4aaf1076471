import Foundation
import Hummingbird

/// Operators: `/accounts/users/`, `/accounts/<pk>/users/`, password resets.
enum UserRoutes {
    static let columns =
        "id, username, email, first_name, last_name, is_active, is_superuser, role_id, block_dashboard_login, is_installer_user, last_login, last_login_ip, date_joined"

    static func render(_ row: PGRow) -> JSON {
        [
            "id": .init(row.int("id")), "username": .init(row.string("username")), "email": .init(row.string("email")),
            "first_name": .init(row.string("first_name")), "last_name": .init(row.string("last_name")),
            "is_active": .init(row.bool("is_active")), "is_superuser": .init(row.bool("is_superuser")),
            "role": .init(row.optionalInt("role_id")), "block_dashboard_login": .init(row.bool("block_dashboard_login")),
            "is_installer_user": .init(row.bool("is_installer_user")),
            "last_login": .init(row["last_login"]), "last_login_ip": .init(row["last_login_ip"]), "date_joined": .init(row["date_joined"]),
        ]
    }

    static func routes(_ host: HostContext) -> [Route] {
        [
            Route(.get, "/accounts/users/", access: .permission("can_list_accounts"), summary: "List operators") { _ in
                let rows = try await host.pool.query("SELECT \(columns) FROM users ORDER BY username").rows
                return Responses.json(.array(rows.map(render)))
            },
            Route(.post, "/accounts/users/", access: .permission("can_manage_accounts"), summary: "Create an operator") { call in
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
                let hash = try await hashed(host, password)
                let values: [String?] = [
                    username, try body.optionalString("email") ?? "", try body.optionalString("first_name") ?? "",
                    try body.optionalString("last_name") ?? "", hash, role.map(String.init), superuser ? "t" : "f",
                    (try body.optionalBool("block_dashboard_login") ?? false) ? "t" : "f",
                ]
                let row = try await host.pool.transaction { connection in
                    do {
                        let row = try connection.query(
                            """
                            INSERT INTO users (username, email, first_name, last_name, password_hash, role_id, is_superuser, block_dashboard_login)
                            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING \(columns)
                            """, values
                        ).first!
                        try AuditLog.record(.init(call, .add, "user", "Added user \(username)", after: render(row)), on: connection)
                        return row
                    } catch let error as DatabaseError where error.isUniqueViolation {
                        throw APIError.badRequest("A user named \(username) already exists.")
                    } catch let error as DatabaseError where error.isForeignKeyViolation {
                        throw APIError.badRequest("Role \(values[5] ?? "") does not exist.")
                    }
                }
                return Responses.json(render(row))
            },
            Route(.get, "/accounts/<pk>/users/", access: .permission("can_list_accounts"), summary: "One operator") { call in
                Responses.json(render(try await load(host, try call.intParam("pk"))))
            },
            Route(.put, "/accounts/<pk>/users/", access: .permission("can_manage_accounts"), summary: "Edit an operator") { call in
                let id = try call.intParam("pk")
                let body = try call.object()
                let before = try await load(host, id)
                let caller = try call.user
                let newRole = try body.optionalInt("role")
                try await GrantRules.checked(call, host, "user") {
                    if let superuser = try body.optionalBool("is_superuser"), superuser != before.bool("is_superuser"), !caller.isSuperuser
                    {
                        throw APIError.forbidden("Only a superuser can grant or remove superuser status.")
                    }
                    if id == caller.id {
                        if body.has("role"), newRole != before.optionalInt("role_id") {
                            throw APIError.forbidden("You cannot change your own role; ask another administrator.")
                        }
                        if try body.optionalBool("is_active") == false {
                            throw APIError.forbidden("You cannot deactivate your own account.")
                        }
                        if try body.optionalBool("is_superuser") == false {
                            throw APIError.forbidden("You cannot remove your own superuser status; ask another superuser.")
                        }
                    } else {
                        _ = try await GrantRules.requireMayManage(user: id, caller: caller, host.pool)
                    }
                    if body.has("role"), newRole != before.optionalInt("role_id") {
                        try await GrantRules.requireWithin(
                            try await GrantRules.rights(ofRoleID: newRole, host.pool), caller: caller, host.pool)
                    }
                }
                let row = try await host.pool.transaction { connection in
                    let row = try connection.query(
                        """
                        UPDATE users SET email = coalesce($2, email), first_name = coalesce($3, first_name), last_name = coalesce($4, last_name),
                            is_active = coalesce($5::boolean, is_active), role_id = CASE WHEN $6::boolean THEN $7::bigint ELSE role_id END,
                            block_dashboard_login = coalesce($8::boolean, block_dashboard_login), is_superuser = coalesce($9::boolean, is_superuser)
                        WHERE id = $1 RETURNING \(columns)
                        """,
                        [
                            String(id), try body.optionalString("email"), try body.optionalString("first_name"),
                            try body.optionalString("last_name"),
                            try body.optionalBool("is_active").map { $0 ? "t" : "f" }, body.has("role") ? "t" : "f",
                            newRole.map(String.init),
                            try body.optionalBool("block_dashboard_login").map { $0 ? "t" : "f" },
                            try body.optionalBool("is_superuser").map { $0 ? "t" : "f" },
                        ]
                    ).first!
                    try AuditLog.record(
                        .init(call, .modify, "user", "Modified user \(row.string("username"))", before: render(before), after: render(row)),
                        on: connection)
                    return row
                }
                host.authenticator.invalidateAll()
                return Responses.json(render(row))
            },
            Route(.delete, "/accounts/<pk>/users/", access: .permission("can_manage_accounts"), summary: "Delete an operator") { call in
                let id = try call.intParam("pk")
                let caller = try call.user
                if id == caller.id { throw APIError.badRequest("You cannot delete your own account.") }
                let before = try await load(host, id)
                _ = try await GrantRules.checked(call, host, "user") {
                    try await GrantRules.requireMayManage(user: id, caller: caller, host.pool)
                }
                try await host.pool.transaction { connection in
                    try connection.query("DELETE FROM users WHERE id = $1", [String(id)])
                    try AuditLog.record(
                        .init(call, .delete, "user", "Deleted user \(before.string("username"))", before: render(before)), on: connection)
                }
                host.authenticator.invalidateAll()
                return Responses.message("\(before.string("username")) was deleted")
            },
            Route(.post, "/accounts/users/reset/", access: .permission("can_manage_accounts"), summary: "Set another operator's password") {
                call in
                let body = try call.object()
                let id = try body.int("id")
                let password = try body.string("password")
                try PasswordPolicy.check(password)
                let user = try await load(host, id)
                let caller = try call.user
                if id != caller.id {
                    _ = try await GrantRules.checked(call, host, "user") {
                        try await GrantRules.requireMayManage(user: id, caller: caller, host.pool)
                    }
                }
                try await setPassword(host, call, id: id, username: user.string("username"), password: password)
                return Responses.message("Password was reset.")
            },
            Route(.put, "/accounts/resetpw/", access: .authenticated, summary: "Change your own password") { call in
                let user = try call.user
                let password = try call.object().string("password")
                try PasswordPolicy.check(password)
                try await setPassword(host, call, id: user.id, username: user.username, password: password)
                return Responses.message("Password was reset.")
            },
        ]
    }

    static func load(_ host: HostContext, _ id: Int) async throws -> PGRow {
        guard let row = try await host.pool.query("SELECT \(columns) FROM users WHERE id = $1", [String(id)]).first else {
            throw APIError.notFound("No user with id \(id).")
        }
        return row
    }

    static func hashed(_ host: HostContext, _ password: String) async throws -> String {
        let hasher = host.hasher
        return try await host.blocking.runIfActive { hasher.hash(password) }
    }

    /// A new password also ends every session of that user.
    static func setPassword(_ host: HostContext, _ call: Call, id: Int, username: String, password: String) async throws {
        let hash = try await hashed(host, password)
        try await host.pool.transaction { connection in
            try connection.query("UPDATE users SET password_hash = $2 WHERE id = $1", [String(id), hash])
            try connection.query("DELETE FROM auth_tokens WHERE user_id = $1", [String(id)])
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
