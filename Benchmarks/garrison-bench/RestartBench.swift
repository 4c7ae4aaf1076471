import ArgumentParser
import Foundation
import GarrisonHost

/// `garrison-bench restart`: the real `garrison serve` (embedded PostgreSQL and nats-server,
/// self-signed certificate) in a temporary data folder is killed with SIGKILL and started
/// again at once; the figure is the time from that start to the first 200 on GET
/// /core/status/. Also says whether the dead host's children were gone.
struct RestartBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart", abstract: "Seconds from restart after kill -9 to first 200 (median of 5); were the old children gone.")

    @Option(help: "kill -9 / restart rounds.") var rounds = 5
    @Option(help: "Seconds a host runs after its first 200 before it is killed.") var settle = 3.0
    @Option(help: "Seconds a restart may take before the round counts as failed.") var timeout = 60.0

    func run() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("garrison").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw BenchError("build the garrison product next to garrison-bench first: swift build -c release --product garrison")
        }
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-bench-restart-\(getpid())")
        try? FileManager.default.removeItem(at: root)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // An empty configuration file, so a garrison.toml in the current folder is not read.
        let configFile = root.appendingPathComponent("garrison.toml")
        try "".write(to: configFile, atomically: true, encoding: .utf8)
        let port = FreePort.find()
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GARRISON_") }
        environment["GARRISON_CONFIG"] = configFile.path
        environment["GARRISON_DATA_DIR"] = root.appendingPathComponent("data").path
        environment["GARRISON_PLUGINS_DIR"] = root.appendingPathComponent("plugins.d").path
        environment["GARRISON_SERVER_HOST"] = "127.0.0.1"
        environment["GARRISON_SERVER_PORT"] = String(port)
        let serve = BenchServe(binary: binary, environment: environment, root: root, port: port)
        print(
            "garrison-bench restart: \(binary) serve on embedded defaults, data in \(root.path), https://127.0.0.1:\(port); 2 cores shared with whatever else runs"
        )

        var started: [pid_t] = []
        var current = try serve.start(log: "serve-0.log")
        started.append(current)
        let first = serve.waitForOK(current, timeout: 300)
        guard let first else {
            print("first start (with initdb) did not answer 200 within 300 s; its log:\n\(serve.tail("serve-0.log"))")
            serve.cleanUp(started)
            throw ExitCode.failure
        }
        print(String(format: "first start (initdb, certificate, migrations) to first 200: %.2f s", first))

        var samples: [Double] = []
        for round in 1...max(1, rounds) {
            try await Task.sleep(for: .milliseconds(Int64(settle * 1000)))
            let children = ProcessTable.started(by: current, marker: root.path).filter { $0.pid != current }
            kill(current, SIGKILL)
            var status: Int32 = 0
            waitpid(current, &status, 0)
            let log = "serve-\(round).log"
            let next = try serve.start(log: log)
            let restart = Date()
            started.append(next)
            let aliveAtStart = children.filter(Self.alive)
            let answered = serve.waitForOK(next, timeout: timeout)
            let aliveAtAnswer = children.filter(Self.alive)
            try await Task.sleep(for: .seconds(2))
            let aliveLater = children.filter(Self.alive)
            let elapsed = answered ?? Date().timeIntervalSince(restart)
            print(
                String(
                    format: "round %d: %@; old children %@: alive at restart %d, at first 200 %d, 2 s later %d%@",
                    round, answered == nil ? "no 200 within \(Int(timeout)) s" : String(format: "%.2f s to first 200", elapsed),
                    Self.describe(children), aliveAtStart.count, aliveAtAnswer.count, aliveLater.count,
                    aliveLater.isEmpty ? "" : " (still running: \(Self.describe(aliveLater)))"))
            guard answered != nil else {
                print("restart failed; the new serve's log (\(root.appendingPathComponent(log).path)):\n\(serve.tail(log))")
                serve.cleanUp(started)
                throw ExitCode.failure
            }
            // What the new host said about what the dead one left (a stale pid file, a postmaster still exiting).
            for line in serve.notices(log) { print("  serve: \(line)") }
            samples.append(elapsed)
            current = next
        }
        let sorted = samples.sorted()
        print(
            String(
                format: "restart after kill -9 to first 200 on GET /core/status/: median %.2f s of %d (each: %@)",
                sorted[sorted.count / 2], sorted.count, samples.map { String(format: "%.2f", $0) }.joined(separator: ", ")))
        serve.cleanUp(started)
    }

    static func alive(_ entry: ProcessEntry) -> Bool {
        ProcessTable.isAlive(entry.pid) && ProcessTable.entry(entry.pid)?.name == entry.name
    }

    /// "postgres ×6, nats-server ×1"
    static func describe(_ entries: [ProcessEntry]) -> String {
        let counts = Dictionary(grouping: entries, by: \.name).map { "\($0.key) ×\($0.value.count)" }.sorted()
        return counts.isEmpty ? "(none found)" : "(" + counts.joined(separator: ", ") + ")"
    }
}
