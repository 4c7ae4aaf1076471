import Foundation
import Logging

/// On first start with no operators, creates `admin` (superuser) with a random one-time
/// password, printed once and written to a file only its owner can read.
public enum FirstRunAdmin {
    public static func ensure(pool: DatabasePool, hasher: PasswordHasher, dataDirectory: URL, logger: Logger) async throws -> String? {
        let count = try await pool.query("SELECT count(*) AS n FROM users").first?.int("n") ?? 0
        guard count == 0 else { return nil }
        let password = Crypto.randomBytes(18).map { String(format: "%02x", $0) }.joined()
        let hash = hasher.hash(password)
        let created = try await pool.transaction { connection in
            // Two hosts starting together on an empty database must not both create admin.
            let inserted = try connection.query(
                """
                INSERT INTO users (username, password_hash, is_superuser) SELECT 'admin', $1, true
                WHERE NOT EXISTS (SELECT 1 FROM users) ON CONFLICT (username) DO NOTHING
                """, [hash]
            ).affectedRows
            if inserted == 1 {
                try AuditLog.record(
                    .init(username: "garrison", action: .add, objectType: "user", message: "Created the first superuser 'admin'"),
                    on: connection)
            }
            return inserted == 1
        }
        guard created else { return nil }
        let file = dataDirectory.appendingPathComponent("initial-admin-password")
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        // Mode 0600 from the moment the file exists, not set after it was written.
        try SecretFile.write(password + "\n", to: file)
        print(
            """
            ================================================================
             First start: created the superuser 'admin'.
             One-time password: \(password)
             (also in \(file.path); change it after logging in)
            ================================================================
            """)
        logger.notice("created the first superuser 'admin'", metadata: ["password_file": "\(file.path)"])
        return password
    }
}
