import ArgumentParser
import Foundation
import GarrisonHost
import Hummingbird
import Logging

/// `garrison-bench plugins`: a trivial plugin route against the same route built into the host,
/// same run, same load; and the time to load each plugin.
struct PluginBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins", abstract: "Plugin route vs built-in route req/s, and load time per plugin.")

    @Option(help: "Seconds per wrk run.") var seconds = 10
    @Option(help: "wrk connections.") var connections = 64
    @Option(help: "Alternating rounds per route.") var rounds = 3

    func run() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let fixtures = root.appendingPathComponent(".build/fixtures")
        for folder in ["Tests/Fixtures/Plugins", "Plugins/Examples/hello-c"] {
            let make = try Subprocess.run("/usr/bin/make", ["-s", "-C", root.appendingPathComponent(folder).path, "OUT=\(fixtures.path)"])
            guard make.status == 0 else { throw BenchError("make failed: \(make.output)") }
        }
        let host = try await BenchHost.start { config in
            let pluginsDirectory = URL(fileURLWithPath: config.pluginsDirectory)
            try? FileManager.default.createDirectory(at: pluginsDirectory, withIntermediateDirectories: true)
            for (file, library) in [
                ("10-minimal.toml", "good_minimal.so"), ("20-hello-c.toml", "libhello-c.so"), ("30-old-minor.toml", "old_minor.so"),
            ] {
                try? "library = \"\(fixtures.appendingPathComponent(library).path)\"\n".write(
                    to: pluginsDirectory.appendingPathComponent(file), atomically: true, encoding: .utf8)
                chmod(pluginsDirectory.appendingPathComponent(file).path, 0o644)
            }
        }
        // The built-in twin of good_minimal's GET /minimal/: same permission, same body.
        let body = Data("{\"ok\":true}".utf8)
        try host.server.dispatcher.register([
            Route(.get, "/bench/builtin/", access: .permission("can_list_agents")) { _ in Responses.raw(body) }
        ])

        print(
            "garrison-bench plugins: release build, TLS keep-alive, wrk -t2 -c\(connections), \(seconds) s per run, \(rounds) alternating rounds"
        )
        for entry in await host.server.plugins.listing() {
            print(
                "  plugin \(entry["name"]?.stringValue ?? "?"): state \(entry["state"]?.stringValue ?? "?"), load \(entry["load_ms"]?.doubleValue.map { String(format: "%.1f ms", $0) } ?? "?") (dlopen, checks, init, migrations, registration)"
            )
        }
        var plugin: [Double] = [], builtin: [Double] = []
        for _ in 0..<rounds {
            builtin.append(
                try WrkResult.run(
                    url: "\(host.base)/bench/builtin/", token: host.token, threads: 2, connections: connections, seconds: seconds
                ).requestsPerSecond)
            plugin.append(
                try WrkResult.run(url: "\(host.base)/minimal/", token: host.token, threads: 2, connections: connections, seconds: seconds)
                    .requestsPerSecond)
        }
        let p = plugin.sorted()[plugin.count / 2], b = builtin.sorted()[builtin.count / 2]
        print(
            String(
                format: "built-in GET /bench/builtin/: %.0f req/s (median; runs %@)", b,
                builtin.map { String(format: "%.0f", $0) }.joined(separator: ", ")))
        print(
            String(
                format: "plugin   GET /minimal/ (C):   %.0f req/s (median; runs %@)", p,
                plugin.map { String(format: "%.0f", $0) }.joined(separator: ", ")))
        print(String(format: "plugin / built-in: %.1f%%", p / b * 100))
        host.running.cancel()
        await host.server.shutdown()
        // A restart on the same database: what every later start (and a reload) costs, with
        // the schemas, roles and migrations already in place.
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        var config = host.config
        config.databaseURL = try host.database.cluster.conninfo()
        let again = try await GarrisonHostServer.start(config: config, logger: logger)
        for entry in await again.plugins.listing() {
            print(
                "  restart: plugin \(entry["name"]?.stringValue ?? "?") load \(entry["load_ms"]?.doubleValue.map { String(format: "%.1f ms", $0) } ?? "?")"
            )
        }
        await again.shutdown()
        host.database.stop()
    }
}
