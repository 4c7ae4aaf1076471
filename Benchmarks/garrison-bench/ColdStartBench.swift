import ArgumentParser
import Foundation
import GarrisonHost

/// `garrison-bench coldstart`: the default run -- `garrison serve` on its embedded defaults
/// with the repository's plugins.d, so every shipped plugin loads -- started on a data folder
/// that exists (initdb and the first migrations done by a first start), stopped with SIGTERM
/// and started again; the figure is the time from a start to the first 200 on GET
/// /core/status/, median of the rounds.
struct ColdStartBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coldstart", abstract: "Seconds from start to first 200 with every shipped plugin, data folder existing (median of 5)."
    )

    @Option(help: "Stop / start rounds.") var rounds = 5
    @Option(help: "The plugins.d to load (default: the repository's, as scripts/run.sh).") var plugins = "plugins.d"

    func run() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("garrison").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("build the garrison product and the plugins next to garrison-bench first (scripts/run.sh builds them)")
        }
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-bench-coldstart-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let configFile = root.appendingPathComponent("garrison.toml")
        try "".write(to: configFile, atomically: true, encoding: .utf8)
        let pluginFiles = try FileManager.default.contentsOfDirectory(atPath: plugins).filter { $0.hasSuffix(".toml") }.sorted()
        guard !pluginFiles.isEmpty else { throw BenchError("no *.toml in \(plugins); run from the checkout or give --plugins") }
        let port = FreePort.find()
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GARRISON_") }
        environment["GARRISON_CONFIG"] = configFile.path
        environment["GARRISON_DATA_DIR"] = root.appendingPathComponent("data").path
        environment["GARRISON_PLUGINS_DIR"] = URL(fileURLWithPath: plugins).standardizedFileURL.path
        environment["GARRISON_SERVER_HOST"] = "127.0.0.1"
        environment["GARRISON_SERVER_PORT"] = String(port)
        let serve = BenchServe(binary: binary, environment: environment, root: root, port: port)
        print(
            "garrison-bench coldstart: \(binary) serve with \(plugins) (\(pluginFiles.joined(separator: ", "))), data in \(root.path); 2 cores shared with whatever else runs"
        )

        var started: [pid_t] = []
        let first = try serve.start(log: "serve-0.log")
        started.append(first)
        guard let initial = serve.waitForOK(first, timeout: 300) else {
            print("first start did not answer 200 within 300 s; its log:\n\(serve.tail("serve-0.log"))")
            serve.cleanUp(started)
            throw ExitCode.failure
        }
        print(String(format: "first start (initdb, certificate, migrations, two-factor key) to first 200: %.2f s", initial))
        let failed = serve.notices("serve-0.log").filter { $0.contains("plugin") }
        if !failed.isEmpty { print("plugin problems on the first start:\n  " + failed.joined(separator: "\n  ")) }
        serve.cleanUp([first], removeFolder: false)

        var samples: [Double] = []
        for round in 1...max(1, rounds) {
            let log = "serve-\(round).log"
            let pid = try serve.start(log: log)
            started.append(pid)
            guard let elapsed = serve.waitForOK(pid, timeout: 60) else {
                print("round \(round): no 200 within 60 s; log:\n\(serve.tail(log))")
                serve.cleanUp(started)
                throw ExitCode.failure
            }
            let skipped = serve.count(log, containing: "plugin skipped")
            print(
                String(
                    format: "round %d: %.3f s to first 200%@", round, elapsed,
                    skipped == 0 ? "" : " (\(skipped) plugins skipped: see \(log))"))
            samples.append(elapsed)
            serve.cleanUp([pid], removeFolder: false)
        }
        let sorted = samples.sorted()
        print(
            String(
                format:
                    "cold start with every shipped plugin, data folder existing, to first 200 on GET /core/status/: median %.3f s of %d (each: %@)",
                sorted[sorted.count / 2], sorted.count, samples.map { String(format: "%.3f", $0) }.joined(separator: ", ")))
        serve.cleanUp(started)
    }
}
