import ArgumentParser
import Foundation
import GarrisonHost

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write the database (pg_dump) and the data folder's secrets to FILE (mode 0600); safe while the server runs.",
        discussion: "See docs/backup.md for what a backup holds and how to restore it.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The backup file to create; it must not exist.") var file: String

    func run() async throws {
        let config = try options.load()
        let logger = makeLogger(config)
        let summary = try BackupMaker.make(file: URL(fileURLWithPath: file), config: config, logger: logger)
        let secrets = summary.manifest.entries.filter { $0.name.hasPrefix("data/") }.map { String($0.name.dropFirst(5)) }
        print(
            "backup written to \(file) (\(summary.bytes) bytes): database at core migration \(summary.manifest.migrations["core"] ?? 0), data folder files: \(secrets.isEmpty ? "none" : secrets.joined(separator: ", "))"
        )
    }
}

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into an empty data folder (embedded PostgreSQL) or an empty database (database.url).",
        discussion: "Run it as the user the server runs as. See docs/backup.md.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "A file made by `garrison backup`.") var file: String

    func run() async throws {
        let config = try options.load()
        let logger = makeLogger(config)
        let manifest = try BackupRestorer.restore(file: URL(fileURLWithPath: file), config: config, logger: logger)
        let target =
            config.databaseURL.isEmpty
            ? "the data folder \(config.dataURL.path)" : "database.url and the data folder \(config.dataURL.path)"
        print(
            "restored the backup made \(manifest.createdAt) by garrison \(manifest.garrisonVersion) into \(target); start the server with `garrison serve`"
        )
    }
}
