import ArgumentParser
import Foundation
import GarrisonHost
import Logging

/// `garrison-bench backup`: `garrison backup` of a server with 10,000 agents, 10 checks each,
/// their last results and chart points, taken while the server runs; then `garrison
/// restore` of that file into a new, empty database of the same cluster. Prints the seconds
/// of each and the file's size (docs/backup.md: each under 30 s).
struct BackupBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Backup and restore seconds, 10,000 agents x 10 checks with results.")

    @Option(help: "Agents to seed.") var agents = 10_000
    @Option(help: "Chart points (history rows) per check.") var points = 5

    func run() async throws {
        let library = try BenchHost.builtPlugin("ChecksPlugin")
        let host = try await BenchHost.start { config in
            try? BenchHost.enable(
                library, file: "40-checks.toml", rest: "\n[settings]\nagent_cache_seconds = 5\n", in: config.pluginsDirectory)
        }
        defer { host.database.stop() }
        try await seed(host.server.storage.pool)
        let logger = Logger(label: "bench-backup")
        let file = host.database.root.appendingPathComponent("bench.garrison")

        // While the server runs, as an operator's nightly backup would.
        let backupStart = ContinuousClock.now
        let summary = try BackupMaker.make(file: file, config: host.config, logger: logger)
        let backupTime = ContinuousClock.now - backupStart
        try await host.server.storage.pool.query("CREATE DATABASE restored")
        host.running.cancel()
        await host.server.shutdown()

        var target = host.config
        target.databaseURL = try host.database.cluster.adminConninfo(database: "restored")
        target.dataDirectory = host.database.root.appendingPathComponent("restored-data").path
        let restoreStart = ContinuousClock.now
        _ = try BackupRestorer.restore(file: file, config: target, logger: logger)
        let restoreTime = ContinuousClock.now - restoreStart

        let check = DatabasePool(conninfo: target.databaseURL, size: 1, logger: logger)
        let restoredAgents = try await check.query("SELECT count(*)::int AS n FROM agents").first?.int("n") ?? 0
        let restoredPoints = try await check.query("SELECT count(*)::int AS n FROM plugin_check.history").first?.int("n") ?? 0
        await check.close()
        print(
            "garrison-bench backup: \(agents) agents x 10 checks, \(agents * 10) results, \(agents * 10 * points) chart points, external database (same cluster)"
        )
        print(String(format: "  backup (server running): %.2f s, %.1f MB", Self.seconds(backupTime), Double(summary.bytes) / 1_048_576))
        print(
            String(
                format: "  restore into an empty database: %.2f s (%d agents, %d chart points restored)", Self.seconds(restoreTime),
                restoredAgents, restoredPoints))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// Agents over 100 clients of 2 sites, 10 checks each (as ChecksBench seeds them, the
    /// script check with its script), a last result per check and `points` chart points.
    private func seed(_ pool: DatabasePool) async throws {
        try await pool.transaction { c in
            try BenchSeed.fleet(c, agents: agents)
            try c.query(
                """
                INSERT INTO plugin_check.checks (agent_id, agent_pk, check_type, name, warning_threshold, error_threshold, disk, script, timeout, fails_b4_alert)
                SELECT a.agent_id, a.id, (ARRAY['diskspace','diskspace','cpuload','memory','ping','ping','script','winsvc','winsvc','eventlog'])[k + 1],
                       'check ' || k, 25, 10, CASE WHEN k < 2 THEN 'C:' END,
                       CASE WHEN k = 6 THEN '{"name":"probe","code":"exit 0","shell":"powershell"}'::jsonb END, CASE WHEN k = 6 THEN 60 END, 3
                FROM agents a, generate_series(0, 9) k
                """)
            try c.query(
                """
                INSERT INTO plugin_check.results (agent_id, check_id, status, last_run, seq)
                SELECT agent_id, id, 'passing', now() - interval '2 minutes', 1 FROM plugin_check.checks
                """)
            try c.query(
                """
                INSERT INTO plugin_check.history (check_id, agent_id, x, y, results)
                SELECT id, agent_id, now() - p * interval '2 minutes', 0, jsonb_build_object('retcode', 0, 'stdout', 'ok', 'stderr', '', 'execution_time', 0.1)
                FROM plugin_check.checks, generate_series(1, $1::int) p
                """, [String(points)])
        }
    }
}
