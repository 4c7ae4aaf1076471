import Foundation
import Logging

/// `garrison restore FILE`: into an empty data folder (a new private cluster) or, with
/// `database.url`, into an empty database. Everything that can refuse -- the file, its
/// version, a target that is not empty -- is checked before anything is written.
public enum BackupRestorer {
    public static func restore(file: URL, config: GarrisonConfig, logger: Logger) throws -> BackupManifest {
        let file = file.standardizedFileURL
        let (manifest, dataOffset) = try BackupArchive.readManifest(file)
        try manifest.checkRestorable()
        let tools = try PostgresClientTools.locate()
        let data = config.dataURL
        let embedded = config.databaseURL.isEmpty
        let secrets = manifest.entries.map(\.name).filter { $0.hasPrefix(BackupArchive.dataPrefix) }.map {
            String($0.dropFirst(BackupArchive.dataPrefix.count))
        }
        let folderExisted = FileManager.default.fileExists(atPath: data.path)
        if embedded {
            try checkEmptyFolder(data)
        } else {
            for name in secrets where FileManager.default.fileExists(atPath: data.appendingPathComponent(name).path) {
                throw BackupError(
                    "\(data.appendingPathComponent(name).path) already exists; a restore replaces no file: move it away or restore into a new data folder (data.dir, GARRISON_DATA_DIR)"
                )
            }
            try checkEmptyDatabase(config.databaseURL)
        }

        // From here on everything written is undone on failure.
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let work = data.appendingPathComponent(".restore-\(Crypto.randomHex(bytes: 4))")
        var database: BackupDatabase?
        var restoring: DatabaseRestore?
        do {
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
            let dump = work.appendingPathComponent(BackupArchive.databaseEntry)
            let files = try BackupArchive.extract(file, manifest: manifest, dataOffset: dataOffset, dump: dump)
            database = embedded ? try BackupDatabase.freshCluster(config, logger: logger) : BackupDatabase.external(config)
            let step = DatabaseRestore(conninfo: database!.conninfo, manifest: manifest, tools: tools, work: work)
            restoring = step
            try step.run(dump: dump)
            for (path, bytes) in files {
                let target = data.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try SecretFile.write(bytes, to: target)
            }
            database?.close()
            try? FileManager.default.removeItem(at: work)
        } catch {
            if !embedded { restoring?.undo(logger: logger) }
            database?.close()
            if embedded {
                // The folder was empty (or missing): empty it again.
                for name in (try? FileManager.default.contentsOfDirectory(atPath: data.path)) ?? [] {
                    try? FileManager.default.removeItem(at: data.appendingPathComponent(name))
                }
                if !folderExisted { try? FileManager.default.removeItem(at: data) }
            } else {
                try? FileManager.default.removeItem(at: work)
            }
            throw error
        }
        logger.info(
            "backup restored", metadata: ["file": "\(file.path)", "made": "\(manifest.createdAt)", "by": "\(manifest.garrisonVersion)"])
        return manifest
    }

    /// The private cluster is made new, so the data folder must hold nothing at all: a
    /// restore never mixes with, or replaces, what a server left there.
    static func checkEmptyFolder(_ data: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: data.path, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw BackupError("the data folder \(data.path) is a file; give a folder (data.dir, GARRISON_DATA_DIR)")
        }
        let contents = try FileManager.default.contentsOfDirectory(atPath: data.path).sorted()
        guard contents.isEmpty else {
            throw BackupError(
                "the data folder \(data.path) is not empty (it holds \(contents.prefix(5).joined(separator: ", "))\(contents.count > 5 ? ", ..." : "")); restore into a new or empty data folder (data.dir, GARRISON_DATA_DIR)"
            )
        }
    }

    /// database.url must name a database with nothing of garrison's (or anyone's) in it.
    static func checkEmptyDatabase(_ conninfo: String) throws {
        let connection = try PGConnection(conninfo: conninfo)
        let row = try connection.query(
            """
            SELECT (SELECT string_agg(nspname, ', ' ORDER BY nspname) FROM pg_namespace
                     WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN ('public', 'information_schema')) AS schemas,
                   (SELECT string_agg(relname, ', ') FROM (SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') ORDER BY c.relname LIMIT 5) AS listed) AS relations,
                   current_database() AS name
            """
        ).first
        let schemas = row?["schemas"]
        let relations = row?["relations"]
        guard schemas == nil, relations == nil else {
            let what = [schemas.map { "schemas \($0)" }, relations.map { "tables \($0)" }].compactMap { $0 }.joined(separator: " and ")
            throw BackupError(
                "the database \(row?.string("name") ?? "") (database.url) is not empty: it holds \(what); restore into a new, empty database"
            )
        }
    }
}
