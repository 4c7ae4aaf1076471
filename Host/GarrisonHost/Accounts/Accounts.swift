import Foundation

/// Operator management used outside HTTP (the CLI).
public enum Accounts {
    public static func addUser(pool: DatabasePool, username: String, password: String, roleName: String?, hasher: PasswordHasher)
        async throws -> Int
    {
        let hash = hasher.hash(password)
        return try await pool.transaction { connection in
            var roleID: String?
            var superuser = false
            if let roleName {
                if roleName == "superuser" {
                    superuser = true
                } else {
                    guard let row = try connection.query("SELECT id FROM roles WHERE name = $1", [roleName]).first else {
                        throw AccountsError("no role named '\(roleName)'")
                    }
                    roleID = String(row.int("id"))
                }
            }
            do {
                let id = try connection.query(
                    "INSERT INTO users (username, password_hash, role_id, is_superuser) VALUES ($1, $2, $3, $4) RETURNING id",
                    [username, hash, roleID, superuser ? "t" : "f"]
                ).first!.int("id")
                try AuditLog.record(
                    .init(
                        username: "garrison-cli", action: .add, objectType: "user", message: "Added user \(username) from the command line"),
                    on: connection)
                return id
            } catch let error as DatabaseError where error.isUniqueViolation {
                throw AccountsError("a user named '\(username)' already exists")
            }
        }
    }
}

public struct AccountsError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
