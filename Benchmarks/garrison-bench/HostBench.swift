import ArgumentParser
import Foundation
import GarrisonHost
import Logging
import NIOConcurrencyHelpers

/// `garrison-bench host`: the filtered agent page at 10,000 agents, authenticated
/// /core/version/ throughput over TLS with keep-alive, and cold start to first 200.
struct HostBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host", abstract: "Agent list p99, /core/version/ req/s over TLS, cold start.")

    @Option(help: "Agents to seed.") var agents = 10_000
    @Option(help: "Clients to spread them over.") var clients = 100
    @Option(help: "Seconds per wrk run.") var seconds = 10
    @Option(help: "wrk connections for the throughput run.") var connections = 64

    func run() async throws {
        let host = try await BenchHost.start()
        try await seed(host.server.storage.pool)
        let clientID = try await host.server.storage.pool.query("SELECT id FROM clients ORDER BY id OFFSET 42 LIMIT 1").first!.int("id")

        print("garrison-bench host: \(agents) agents across \(clients) clients, 2 cores shared by server, PostgreSQL and wrk")
        let list = try WrkResult.run(
            url: "\(host.base)/agents/?client=\(clientID)&page=1&page_size=50", token: host.token, threads: 1, connections: 4,
            seconds: seconds)
        print(
            String(
                format: "GET /agents/?client=…&page=1&page_size=50: %.0f req/s, p50 %@, p99 %@ (wrk -t1 -c4, keep-alive, TLS), non-2xx %d",
                list.requestsPerSecond, list.p50, list.p99, list.non2xx))
        let version = try WrkResult.run(
            url: "\(host.base)/core/version/", token: host.token, threads: 2, connections: connections, seconds: seconds)
        print(
            String(
                format: "GET /core/version/ (authenticated): %.0f req/s, p50 %@, p99 %@ (wrk -t2 -c%d, keep-alive, TLS), non-2xx %d",
                version.requestsPerSecond, version.p50, version.p99, connections, version.non2xx))
        host.running.cancel()
        await host.server.shutdown()
        defer { host.database.stop() }
        try coldStart(config: host.config)
    }

    private func seed(_ pool: DatabasePool) async throws {
        let perClient = agents / clients
        try await pool.transaction { connection in
            try connection.query("INSERT INTO clients (name) SELECT 'client-' || g FROM generate_series(1, $1::int) g", [String(clients)])
            try connection.query("INSERT INTO sites (client_id, name) SELECT id, 'site-' || s FROM clients, generate_series(1, 2) s")
            try connection.query(
                """
                INSERT INTO agents (agent_id, hostname, site_id, client_id, monitoring_type, plat, last_seen, operating_system, version)
                SELECT md5(c.id || '-' || g), 'host-' || c.id || '-' || g, (SELECT min(id) FROM sites WHERE client_id = c.id) + (g % 2), c.id,
                       CASE WHEN g % 3 = 0 THEN 'workstation' ELSE 'server' END, 'windows', now() - make_interval(secs => g * 7),
                       'Windows Server 2022', '2.9.1'
                FROM clients c, generate_series(1, $1::int) g
                """, [String(perClient)])
            try connection.query("ANALYZE")
        }
    }

    /// Runs the real `garrison serve` binary on the folder just used (existing cluster, existing
    /// certificate) and times start to the first 200 from /core/status/.
    private func coldStart(config: GarrisonConfig) throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("garrison").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            print("cold start: skipped, build the garrison product next to garrison-bench first"); return
        }
        let dataRoot = URL(fileURLWithPath: config.dataDirectory).deletingLastPathComponent()
        // The embedded cluster the server manages itself lives in data/postgres; prepare it once.
        let port = FreePort.find()
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GARRISON_") }
        environment["GARRISON_DATA_DIR"] = dataRoot.appendingPathComponent("cold").path
        environment["GARRISON_SERVER_PORT"] = String(port)
        environment["GARRISON_SERVER_HOST"] = "127.0.0.1"
        environment["GARRISON_LOG_LEVEL"] = "error"
        var samples: [Double] = []
        for round in 0..<4 {
            let pid = try spawn(binary, ["serve"], environment: environment)
            let start = Date()
            var ready = false
            while Date().timeIntervalSince(start) < 60 {
                let probe = try Subprocess.run(
                    "/usr/bin/curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", "https://127.0.0.1:\(port)/core/status/"])
                if probe.output == "200" { ready = true; break }
                usleep(10_000)
            }
            let elapsed = Date().timeIntervalSince(start)
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            guard ready else { throw BenchError("garrison serve did not answer within 60 s") }
            // Round 0 creates the data folder (initdb); the figure is for an existing one.
            if round > 0 { samples.append(elapsed) }
        }
        print(
            String(
                format:
                    "cold start of garrison serve with an existing data folder to first 200 on /core/status/: %.2f s (median of %d; first-ever start with initdb not counted)",
                samples.sorted()[samples.count / 2], samples.count))
    }

    private func spawn(_ path: String, _ arguments: [String], environment: [String: String]) throws -> pid_t {
        var pid: pid_t = 0
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let env = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; env.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        defer { posix_spawn_file_actions_destroy(&actions) }
        let status = posix_spawn(&pid, path, &actions, nil, argv, env)
        guard status == 0 else { throw BenchError("cannot start \(path)") }
        return pid
    }
}
