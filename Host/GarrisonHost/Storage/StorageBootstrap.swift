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
            conninfo = try cluster.conninfo()
        } else {
            conninfo = config.databaseURL
        }
        let pool = DatabasePool(conninfo: conninfo, size: config.databasePoolSize, logger: logger)
        do {
            try await pool.query("SELECT 1")
            if migrate { try await Migrator(pool: pool, logger: logger).migrate(component: "core", CoreMigrations.all) }
        } catch {
            await pool.close()
            embedded?.stop()
            throw error
        }
        return Storage(pool: pool, embedded: embedded)
    }

    public func close() async {
        await pool.close()
        embedded?.stop()
    }
}
