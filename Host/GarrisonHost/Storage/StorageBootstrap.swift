import Foundation
import Logging

/// Brings storage up: the configured database, or a private cluster under the data folder;
/// then the pool and the core migrations.
public struct Storage: Sendable {
    public let pool: DatabasePool
    public let embedded: EmbeddedPostgres?

    public static func open(_ config: GarrisonConfig, logger: Logger, migrate: Bool = true) async throws -> Storage {
        var embedded: EmbeddedPostgres?
        let conninfo: String
        if config.databaseURL.isEmpty {
            let cluster = EmbeddedPostgres(root: config.dataURL.appendingPathComponent("postgres"), logger: logger)
            try cluster.start()
            embedded = cluster
            conninfo = try cluster.ownerConninfo()
        } else {
            conninfo = config.databaseURL
        }
        let pool = DatabasePool(conninfo: conninfo, size: config.databasePoolSize, logger: logger)
        do {
            try await pool.query("SELECT 1")
            if embedded == nil { try await checkRole(pool, logger: logger) }
            if migrate { try await Migrator(pool: pool, logger: logger).migrate(component: "core", CoreMigrations.all) }
        } catch {
            await pool.close()
            embedded?.stop()
            throw error
        }
        return Storage(pool: pool, embedded: embedded)
    }

    /// An external database's user needs CREATEROLE (each plugin gets a LOGIN role of its
    /// own) and should not be a superuser: a plugin's connection cannot climb back to the
    /// host's role, but anything else holding the host's credentials would own the cluster.
    static func checkRole(_ pool: DatabasePool, logger: Logger) async throws {
        let row = try await pool.withConnection { connection in
            try connection.query("SELECT current_user AS name, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user").first
        }
        guard let row else { return }
        let name = row["name"] ?? "?"
        if row.bool("rolsuper") {
            logger.warning(
                "database.url logs in as a PostgreSQL superuser; give the host a role of its own with CREATEROLE and without SUPERUSER",
                metadata: ["user": "\(name)"])
        } else if !row.bool("rolcreaterole") {
            throw StorageError(
                "database.url logs in as \(name), which lacks CREATEROLE; the host creates one login role per plugin: ALTER ROLE \(quoteIdentifier(name)) CREATEROLE"
            )
        }
    }

    public func close() async {
        await pool.close()
        embedded?.stop()
    }
}

public struct StorageError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
