import Foundation
import Logging

/// `garrison backup FILE`: one file holding a pg_dump of the database (custom format) and
/// the data folder's secrets (DataFolderSecrets), with a manifest read before any restore.
public enum BackupMaker {
    public struct Summary: Sendable {
        public let manifest: BackupManifest
        public let bytes: UInt64
    }

    public static func make(file: URL, config: GarrisonConfig, logger: Logger) throws -> Summary {
        let file = file.standardizedFileURL
        guard !FileManager.default.fileExists(atPath: file.path) else {
            throw BackupError("\(file.path) already exists; a backup never replaces a file: give a new name or remove it first")
        }
        let folder = file.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw BackupError("the folder \(folder.path) does not exist; create it or give another path")
        }
        let tools = try PostgresClientTools.locate()
        let work = folder.appendingPathComponent(".\(file.lastPathComponent).\(Crypto.randomHex(bytes: 4)).work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: work) }

        let database = try BackupDatabase.existing(config, logger: logger)
        defer { database.close() }
        let dump = work.appendingPathComponent(BackupArchive.databaseEntry)
        let manifest = try dumpDatabase(database.conninfo, to: dump, tools: tools)

        let data = config.dataURL
        var files: [(name: String, source: URL)] = [(BackupArchive.databaseEntry, dump)]
        for name in DataFolderSecrets.present(in: data) {
            files.append((BackupArchive.dataPrefix + name, data.appendingPathComponent(name)))
        }
        try BackupArchive.write(to: file, manifest: manifest, files: files)
        let (written, _) = try BackupArchive.hash(file)
        let (read, _) = try BackupArchive.readManifest(file)
        logger.info("backup written", metadata: ["file": "\(file.path)", "bytes": "\(written)", "entries": "\(read.entries.count)"])
        return Summary(manifest: read, bytes: UInt64(written))
    }

    /// Reads what the manifest records and runs pg_dump in one snapshot: the manifest's
    /// migrations and schemas are those of the dumped data, whatever a running server does.
    static func dumpDatabase(_ conninfo: String, to dump: URL, tools: PostgresClientTools) throws -> BackupManifest {
        let connection = try PGConnection(conninfo: conninfo)
        try connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        guard let snapshot = try connection.query("SELECT pg_export_snapshot() AS id").first?["id"] else {
            throw BackupError("PostgreSQL exported no snapshot")
        }
        guard try connection.query("SELECT to_regclass('public.schema_migrations') IS NOT NULL AS ok").first?.bool("ok") == true else {
            throw BackupError("the database holds no garrison data (no schema_migrations table); check database.url or data.dir")
        }
        var migrations: [String: Int] = [:]
        for row in try connection.query("SELECT component, max(version) AS version FROM schema_migrations GROUP BY component").rows {
            migrations[row.string("component")] = row.int("version")
        }
        let schemas = try connection.query(
            """
            SELECT nspname AS name, pg_get_userbyid(nspowner) AS owner FROM pg_namespace
            WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY nspname
            """
        ).rows.map { BackupManifest.Schema(name: $0.string("name"), owner: $0.string("owner")) }
        let about = try connection.query("SELECT current_user AS role, current_setting('server_version') AS version").first
        let result = try tools.run(tools.pgDump, ["--format=custom", "--snapshot=\(snapshot)", "--file=\(dump.path)"], conninfo: conninfo)
        guard result.status == 0 else {
            throw BackupError("pg_dump failed (exit \(result.status)): \(result.errors.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        _ = try? connection.query("COMMIT")
        let formatter = ISO8601DateFormatter()
        return BackupManifest(
            format: BackupManifest.currentFormat, garrisonVersion: GarrisonVersion.string, createdAt: formatter.string(from: Date()),
            hostRole: about?.string("role") ?? "", serverVersion: about?.string("version") ?? "",
            migrations: migrations, schemas: schemas, entries: [])
    }
}
