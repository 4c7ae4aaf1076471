import ArgumentParser
import Foundation
import GarrisonHost

struct ImportTRMMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-trmm",
        abstract: "Import a Tactical RMM database (read-only) into this empty Garrison database; a dry run unless --apply.",
        discussion: """
            Reads clients, sites, agents with their ids and tokens, operators with their password hashes, roles with their \
            scope, API keys, custom fields, the key store, notes, history and settings from Tactical RMM 1.2.0 to 1.5.1. \
            Without --apply it prints what it would import and every problem (table, row, what is wrong) and writes nothing. \
            See docs/switching-from-tactical-rmm.md.
            """)
    @OptionGroup var options: ConfigOptions
    @Option(name: .long, help: "The Tactical RMM database: a libpq URL or conninfo, e.g. postgresql://tactical:PASS@old-host/tacticalrmm")
    var from: String
    @Flag(name: .long, help: "Write the import (default: a dry run that changes nothing).") var apply = false

    func run() async throws {
        let config = try options.load()
        let logger = makeLogger(config)
        do {
            let report = try await withStorage(config, logger: logger) { storage in
                try await TRMMImport.run(source: from, target: storage.pool, apply: apply, logger: logger)
            }
            print(report.text)
            guard apply else { return }
            // The plugins' parts go through the plugins: a host with plugins.d loaded, without
            // its listener, scheduler or NATS, runs each plugin's <plugin>.import-trmm job.
            var pluginConfig = config
            pluginConfig.natsEnabled = false
            let server = try await GarrisonHostServer.start(config: pluginConfig, logger: logger)
            do {
                let plugins = try await TRMMImport.importPlugins(
                    source: from, pool: server.storage.pool, jobs: server.jobs, logger: logger)
                await server.shutdown()
                print(plugins.text)
            } catch {
                await server.shutdown()
                throw error
            }
        } catch let error as TRMMImportError {
            FileHandle.standardError.write(Data("import-trmm: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}
