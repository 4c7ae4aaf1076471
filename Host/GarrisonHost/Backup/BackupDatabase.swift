import Foundation
import Logging

/// The database a backup reads or a restore fills: `database.url`, or the private cluster
/// under the data folder -- started for the command and stopped after it, or, when a
/// running server holds the folder, reached where that server's cluster listens.
final class BackupDatabase {
    let conninfo: String
    private let started: EmbeddedPostgres?

    private init(conninfo: String, started: EmbeddedPostgres?) {
        self.conninfo = conninfo
        self.started = started
    }

    func close() { started?.stop() }

    static func clusterRoot(_ config: GarrisonConfig) -> URL { config.dataURL.appendingPathComponent("postgres") }

    /// For a backup: the database as it is, a running server or not.
    static func existing(_ config: GarrisonConfig, logger: Logger) throws -> BackupDatabase {
        if !config.databaseURL.isEmpty { return BackupDatabase(conninfo: config.databaseURL, started: nil) }
        let root = clusterRoot(config)
        guard FileManager.default.fileExists(atPath: root.appendingPathComponent("cluster/PG_VERSION").path) else {
            throw BackupError(
                "the data folder \(config.dataURL.path) holds no database (no \(root.path)/cluster); set data.dir (GARRISON_DATA_DIR) to the server's data folder, or database.url"
            )
        }
        let cluster = EmbeddedPostgres(root: root, logger: logger)
        do {
            try cluster.start()
            return BackupDatabase(conninfo: try cluster.ownerConninfo(), started: cluster)
        } catch is DataFolderLockError {
            // A running server owns the cluster; its postmaster.pid says where it listens
            // (line 4: the port). pg_dump's snapshot is consistent while the server works.
            let pidFile = root.appendingPathComponent("cluster/postmaster.pid")
            let lines = ((try? String(contentsOf: pidFile, encoding: .utf8)) ?? "").split(separator: "\n", omittingEmptySubsequences: false)
            guard lines.count > 3, let port = Int(lines[3].trimmingCharacters(in: .whitespaces)), (1...65535).contains(port) else {
                throw BackupError(
                    "a garrison process holds \(root.path) but its PostgreSQL is not running (no port in \(pidFile.path)); try again when the server is up, or stop it"
                )
            }
            let running = EmbeddedPostgres(root: root, port: port, logger: logger)
            return BackupDatabase(conninfo: try running.ownerConninfo(), started: nil)
        }
    }

    /// For a restore into an empty data folder: a new private cluster, started.
    static func freshCluster(_ config: GarrisonConfig, logger: Logger) throws -> BackupDatabase {
        let cluster = EmbeddedPostgres(root: clusterRoot(config), logger: logger)
        try cluster.start()
        do {
            return BackupDatabase(conninfo: try cluster.ownerConninfo(), started: cluster)
        } catch {
            cluster.stop()
            throw error
        }
    }

    /// For a restore into `database.url`.
    static func external(_ config: GarrisonConfig) -> BackupDatabase {
        BackupDatabase(conninfo: config.databaseURL, started: nil)
    }
}
