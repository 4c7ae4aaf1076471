import ArgumentParser
import Foundation
import GarrisonHost
import Logging

@main
struct Garrison: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "garrison",
        abstract: "An RMM server that speaks the Tactical RMM agent's protocol.",
        version: GarrisonVersion.long,
        subcommands: [
            Serve.self, Migrate.self, UserCommand.self, CheckConfig.self, Jobs.self, PluginsCommand.self, BackupCommand.self,
            RestoreCommand.self, ImportTRMMCommand.self,
        ],
        defaultSubcommand: Serve.self)
}

/// Options every subcommand shares: where the configuration lives.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "Path to garrison.toml (default: $GARRISON_CONFIG, else ./garrison.toml if present).")
    var config: String?

    func load() throws -> GarrisonConfig {
        var environment = ProcessInfo.processInfo.environment
        var path = config ?? environment.removeValue(forKey: "GARRISON_CONFIG")
        environment.removeValue(forKey: "GARRISON_CONFIG")
        if path == nil, FileManager.default.fileExists(atPath: "garrison.toml") { path = "garrison.toml" }
        do { return try ConfigLoader.load(path: path, environment: environment) } catch {
            throw ValidationError("configuration error: \(error)")
        }
    }
}

func makeLogger(_ config: GarrisonConfig) -> Logger {
    LogSetup.bootstrap(level: config.logLevel, format: config.logFormat)
}

/// Opens storage (starting the embedded cluster when configured so), runs `body`, and closes
/// it on every path, so a CLI command never leaves a private PostgreSQL running.
func withStorage<T: Sendable>(_ config: GarrisonConfig, logger: Logger, _ body: (Storage) async throws -> T) async throws -> T {
    let storage = try await Storage.open(config, logger: logger)
    do {
        let value = try await body(storage)
        await storage.close()
        return value
    } catch {
        await storage.close()
        throw error
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server (embedded PostgreSQL and a self-signed certificate unless configured).")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        let logger = makeLogger(config)
        let server = try await GarrisonHostServer.start(config: config, logger: logger)
        try await server.run()
    }
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply database migrations and exit.")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        let logger = makeLogger(config)
        try await withStorage(config, logger: logger) { _ in }
        print("migrations applied")
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "user", abstract: "Manage operators.", subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an operator. The password comes from --password or standard input.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Username") var username: String
        @Option(help: "Password (prefer standard input: it stays out of the shell history).") var password: String?
        @Option(help: "Role name to assign; 'superuser' makes a superuser.") var role: String?

        func run() async throws {
            let config = try options.load()
            let logger = makeLogger(config)
            var secret = password
            if secret == nil { secret = readLine(strippingNewline: true) }
            guard let secret, secret.count >= 8 else {
                throw ValidationError("the password must be at least 8 characters (give it with --password or on standard input)")
            }
            let id = try await withStorage(config, logger: logger) { storage in
                try await Accounts.addUser(
                    pool: storage.pool, username: username, password: secret, roleName: role, hasher: PasswordHasher())
            }
            print("user \(username) created (id \(id))")
        }
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config", abstract: "Validate garrison.toml and plugins.d; say exactly what is wrong.")
    @OptionGroup var options: ConfigOptions

    func run() throws {
        let config = try options.load()
        print("\(config.source): ok")
        let problems = PluginDirectoryCheck.problems(in: config.pluginsDirectory)
        for problem in problems { print(problem) }
        if !problems.isEmpty { throw ExitCode(1) }
        print("\(config.pluginsDirectory): ok")
    }
}

struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List scheduled jobs: next and last run, last result and failures.")
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let config = try options.load()
        let logger = makeLogger(config)
        let rows = try await withStorage(config, logger: logger) { storage in try await ScheduleStore(pool: storage.pool).list() }
        print("id\towner\tkind\tnext_run\tlast_run\tlast_status\tfailures\tpending")
        for row in rows {
            print(
                [
                    row.string("id"), row.string("owner"), row.string("kind"), row["next_run"] ?? "-", row["last_run"] ?? "-",
                    row["last_status"] ?? "-", String(row.int("failures")), String(row.int("pending")),
                ].joined(separator: "\t"))
        }
    }
}
