/// The SQL of operators' accounts, so UserRoutes holds none.
enum UserQueries {
    static let columns =
        "id, username, email, first_name, last_name, is_active, is_superuser, role_id, block_dashboard_login, is_installer_user, last_login, last_login_ip, date_joined"

    static func all(_ pool: DatabasePool) async throws -> [UserRow] {
        try await pool.query("SELECT \(columns) FROM users ORDER BY username").rows.map(UserRow.init)
    }

    static func load(_ pool: DatabasePool, id: Int) async throws -> UserRow? {
        try await pool.query("SELECT \(columns) FROM users WHERE id = $1", [String(id)]).first.map(UserRow.init)
    }

    struct New {
        var username: String
        var email: String
        var firstName: String
        var lastName: String
        var passwordHash: String
        var role: Int?
        var superuser: Bool
        var blockDashboardLogin: Bool
    }

    static func insert(_ connection: PGConnection, _ user: New) throws -> UserRow {
        UserRow(
            try connection.query(
                """
                INSERT INTO users (username, email, first_name, last_name, password_hash, role_id, is_superuser, block_dashboard_login)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING \(columns)
                """,
                [
                    user.username, user.email, user.firstName, user.lastName, user.passwordHash, user.role.map(String.init),
                    user.superuser ? "t" : "f", user.blockDashboardLogin ? "t" : "f",
                ]
            ).first!)
    }

    /// The fields an edit may change; nil leaves one as it is (`setsRole` tells a role of null
    /// from no role given).
    struct Edit {
        var email: String?
        var firstName: String?
        var lastName: String?
        var isActive: Bool?
        var setsRole: Bool
        var role: Int?
        var blockDashboardLogin: Bool?
        var superuser: Bool?
    }

    static func update(_ connection: PGConnection, id: Int, _ edit: Edit) throws -> UserRow {
        func flag(_ value: Bool?) -> String? { value.map { $0 ? "t" : "f" } }
        return UserRow(
            try connection.query(
                """
                UPDATE users SET email = coalesce($2, email), first_name = coalesce($3, first_name), last_name = coalesce($4, last_name),
                    is_active = coalesce($5::boolean, is_active), role_id = CASE WHEN $6::boolean THEN $7::bigint ELSE role_id END,
                    block_dashboard_login = coalesce($8::boolean, block_dashboard_login), is_superuser = coalesce($9::boolean, is_superuser)
                WHERE id = $1 RETURNING \(columns)
                """,
                [
                    String(id), edit.email, edit.firstName, edit.lastName, flag(edit.isActive), edit.setsRole ? "t" : "f",
                    edit.role.map(String.init), flag(edit.blockDashboardLogin), flag(edit.superuser),
                ]
            ).first!)
    }

    static func delete(_ connection: PGConnection, id: Int) throws {
        try connection.query("DELETE FROM users WHERE id = $1", [String(id)])
    }

    /// A new password also ends every session of that user.
    static func setPassword(_ connection: PGConnection, id: Int, hash: String) throws {
        try connection.query("UPDATE users SET password_hash = $2 WHERE id = $1", [String(id), hash])
        try connection.query("DELETE FROM auth_tokens WHERE user_id = $1", [String(id)])
    }
}
