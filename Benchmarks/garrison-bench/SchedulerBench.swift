import ArgumentParser
import Foundation
import GarrisonHost
import Logging
import NIOConcurrencyHelpers

/// `garrison-bench scheduler`: claim-run-complete throughput of trivial jobs on one host and spread
/// over two (with a duplicate count), and lateness with 100,000 schedules stored.
struct SchedulerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler", abstract: "Jobs/s on one and two hosts, duplicates, lateness p99 with 100k schedules.")

    @Option(help: "Trivial one-off jobs per throughput run.") var jobs = 50_000
    @Option(help: "Schedules stored for the lateness run.") var schedules = 100_000
    @Option(help: "Seconds the lateness run lasts.") var latenessSeconds = 60

    final class Ledger: Sendable {
        let calls = NIOLockedValueBox<[Int: Int]>([:])
        let lateness = NIOLockedValueBox<[Double]>([])
    }

    func run() async throws {
        let database = try BenchDatabase.start()
        defer { database.stop() }
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let conninfo = try database.cluster.conninfo()
        let setup = DatabasePool(conninfo: conninfo, size: 2, logger: logger)
        try await Migrator(pool: setup, logger: logger).migrate(component: "core", CoreMigrations.all)
        print("garrison-bench scheduler: release build, one PostgreSQL, hosts are schedulers in this process with their own pools")

        for hosts in [1, 2] {
            try await setup.query("TRUNCATE job_runs")
            try await setup.query(
                "INSERT INTO job_runs (owner, kind, due_at, not_before) SELECT 'bench', 'bench.noop', now(), now() FROM generate_series(1, $1::int)",
                [String(jobs)])
            let ledger = Ledger()
            let (tasks, pools) = try startHosts(hosts, conninfo: conninfo, logger: logger) { run in
                ledger.calls.withLockedValue { $0[run.runID, default: 0] += 1 }
                return .succeeded([:])
            }
            let start = ContinuousClock.now
            while try await setup.query("SELECT count(*) AS n FROM job_runs WHERE state <> 'succeeded'").first?.int("n") != 0 {
                try await Task.sleep(for: .milliseconds(50))
            }
            let elapsed = Double((ContinuousClock.now - start) / .milliseconds(1)) / 1000
            let calls = ledger.calls.withLockedValue { $0 }
            let duplicates = calls.values.filter { $0 > 1 }.count
            print(
                String(
                    format:
                        "%d host(s): %d jobs claimed, run and completed in %.2f s = %.0f jobs/s; handler calls %d, runs called more than once: %d, never called: %d",
                    hosts, jobs, elapsed, Double(jobs) / elapsed, calls.values.reduce(0, +), duplicates, jobs - calls.count))
            for task in tasks { task.cancel() }
            for task in tasks { _ = try? await task.value }
            for pool in pools { await pool.close() }
        }

        // Lateness: many schedules stored, a steady trickle due every second.
        try await setup.query("TRUNCATE job_runs")
        try await setup.query(
            """
            INSERT INTO schedules (id, owner, kind, spec, next_run)
            SELECT 'bench-' || g, 'bench', 'bench.late', jsonb_build_object('type', 'interval', 'seconds', 600),
                   now() + make_interval(secs => 5 + (g % 600))
            FROM generate_series(1, $1::int) g
            """, [String(schedules)])
        try await setup.query("ANALYZE")
        let ledger = Ledger()
        let (tasks, pools) = try startHosts(1, conninfo: conninfo, logger: logger) { run in
            ledger.lateness.withLockedValue { $0.append(Date().timeIntervalSince(run.dueAt)) }
            return .succeeded([:])
        }
        try await Task.sleep(for: .seconds(latenessSeconds))
        for task in tasks { task.cancel() }
        for task in tasks { _ = try? await task.value }
        for pool in pools { await pool.close() }
        let samples = ledger.lateness.withLockedValue { $0 }.sorted()
        guard !samples.isEmpty else { throw BenchError("no scheduled run happened") }
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, Int(Double(samples.count) * p))] }
        print(
            String(
                format:
                    "%d schedules stored (about %d due per second): %d runs in %d s, lateness (start - due) p50 %.0f ms, p99 %.0f ms, max %.0f ms",
                schedules, schedules / 600, samples.count, latenessSeconds, percentile(0.5) * 1000, percentile(0.99) * 1000,
                samples.last! * 1000))
        await setup.close()
    }

    private func startHosts(_ count: Int, conninfo: String, logger: Logger, handler: @escaping JobHandler) throws -> (
        [Task<Void, Error>], [DatabasePool]
    ) {
        var tasks: [Task<Void, Error>] = []
        var pools: [DatabasePool] = []
        for _ in 0..<count {
            let pool = DatabasePool(conninfo: conninfo, size: 4, logger: logger)
            let registry = JobRegistry()
            try registry.register(kind: "bench.noop", owner: "bench", handler)
            try registry.register(kind: "bench.late", owner: "bench", handler)
            let scheduler = Scheduler(
                pool: pool, registry: registry, options: .init(pollInterval: .milliseconds(100), batch: 500, maxConcurrent: 2000),
                logger: logger)
            tasks.append(Task { try await scheduler.run() })
            pools.append(pool)
        }
        return (tasks, pools)
    }
}
