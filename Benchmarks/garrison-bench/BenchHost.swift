import Foundation
import GarrisonHost
import Logging
import NIOConcurrencyHelpers

/// A host on a private database, listening on a free loopback port, for one benchmark.
struct BenchHost {
    let database: BenchDatabase
    let config: GarrisonConfig
    let server: GarrisonHostServer
    let base: String
    let token: String
    let running: Task<Void, Error>

    static func start(configure: (inout GarrisonConfig) -> Void = { _ in }) async throws -> BenchHost {
        let database = try BenchDatabase.start()
        var config = try Self.config(database)
        configure(&config)
        let server = try await GarrisonHostServer.start(config: config, logger: Self.logger)
        let port = NIOLockedValueBox(0)
        let app = try server.application { bound in port.withLockedValue { $0 = bound } }
        let running = Task { try await app.runService() }
        while port.withLockedValue({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        let base = "https://127.0.0.1:\(port.withLockedValue { $0 })"
        let password = try String(contentsOfFile: config.dataDirectory + "/initial-admin-password", encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        return BenchHost(database: database, config: config, server: server, base: base, token: try login(base, password), running: running)
    }

    /// A host on loopback over `database`, plugins from `<root>/plugins.d`, port chosen by the system.
    static func config(_ database: BenchDatabase) throws -> GarrisonConfig {
        var config = GarrisonConfig()
        config.databaseURL = try database.cluster.conninfo()
        config.dataDirectory = database.root.appendingPathComponent("data").path
        config.serverHost = "127.0.0.1"
        config.serverPort = 0
        config.databasePoolSize = 8
        config.pluginsDirectory = database.root.appendingPathComponent("plugins.d").path
        return config
    }

    /// A plugin library built next to garrison-bench (`swift build -c release --product <product>`).
    static func builtPlugin(_ product: String) throws -> URL {
        let library = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("lib\(product).so")
        guard FileManager.default.fileExists(atPath: library.path) else {
            throw BenchError("build the plugin next to garrison-bench first: swift build -c release --product \(product)")
        }
        return library
    }

    /// Enables `library` with a plugins.d file: `library = ...` and then `rest` (flags, settings).
    static func enable(_ library: URL, file: String, rest: String = "", in pluginsDirectory: String, mode: mode_t = 0o644) throws {
        let folder = URL(fileURLWithPath: pluginsDirectory)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(file)
        try "library = \"\(library.path)\"\n\(rest)".write(to: path, atomically: true, encoding: .utf8)
        chmod(path.path, mode)
    }

    static var logger: Logger {
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        return logger
    }

    func stop() async {
        running.cancel()
        await server.shutdown()
        database.stop()
    }

    static func login(_ base: String, _ password: String) throws -> String {
        let body = "{\"username\":\"admin\",\"password\":\"\(password)\"}"
        let result = try Subprocess.run(
            "/usr/bin/curl", ["-sk", "-X", "POST", "-H", "Content-Type: application/json", "-d", body, "\(base)/v2/login/"])
        guard let data = result.output.data(using: .utf8), let value = try? JSON.parse(data), let token = value["token"]?.stringValue else {
            throw BenchError("login failed: \(result.output)")
        }
        return token
    }
}
