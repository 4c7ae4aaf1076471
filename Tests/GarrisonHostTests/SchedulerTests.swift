import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
@testable import GarrisonHost

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let now = NIOLockedValueBox(Date())
    func read() -> Date { now.withLockedValue { $0 } }
    func advance(_ seconds: TimeInterval) { now.withLockedValue { $0 = $0.addingTimeInterval(seconds) } }
}

/// Counts handler calls per run id, across hosts.
final class RunLedger: Sendable {
    private let calls = NIOLockedValueBox<[Int: [Int]]>([:])
    func record(_ run: JobRun) { calls.withLockedValue { $0[run.runID, default: []].append(run.attempt) } }
    var snapshot: [Int: [Int]] { calls.withLockedValue { $0 } }
}

@Suite struct SchedulerTests {
    static func database() async throws -> DatabasePool {
        let pool = DatabasePool(conninfo: try await TestCluster.shared.createDatabase(), size: 4, logger: Logger(label: "t"))
        try await Migrator(pool: pool, logger: Logger(label: "t")).migrate(component: "core", CoreMigrations.all)
        return pool
    }

    static func quiet() -> Logger { var l = Logger(label: "sched"); l.logLevel = .critical; return l }

    /// Two more passes of the scheduler's loop with no handler running: whatever was due by
    /// the test clock has been claimed and has run. "Nothing more happens" is asserted after
    /// this, not after a sleep.
    static func settled(_ scheduler: Scheduler) async throws {
        let start = scheduler.progress.passes
        try await eventually("two more scheduler passes", timeout: .seconds(20)) {
            let now = scheduler.progress
            return now.passes >= start + 2 && now.idle
        }
    }

    static func fast(lease: TimeInterval = 30) -> Scheduler.Options {
        Scheduler.Options(pollInterval: .milliseconds(20), lease: lease, reapInterval: .milliseconds(100))
    }

    @Test func anIntervalScheduleRunsOncePerPeriodAndRecordsItsResult() async throws {
        let pool = try await Self.database()
        let clock = TestClock()
        let registry = JobRegistry()
        let ledger = RunLedger()
        try registry.register(kind: "demo.tick", owner: "test") { run in
            ledger.record(run); return .succeeded(["attempt": .init(run.attempt)])
        }
        let scheduler = Scheduler(pool: pool, registry: registry, options: Self.fast(), clock: clock.read, logger: Self.quiet())
        try await scheduler.store.upsert(
            ScheduleDefinition(id: "tick", owner: "test", kind: "demo.tick", spec: ["type": "interval", "seconds": 60]), now: clock.read())
        let task = Task { try await scheduler.run() }
        for period in 1...3 {
            clock.advance(60)
            scheduler.poke()
            try await eventually("run \(period)", timeout: .seconds(20)) { ledger.snapshot.count == period }
        }
        // Nothing more happens while the clock stands still.
        try await Self.settled(scheduler)
        #expect(ledger.snapshot.count == 3)
        try await eventually("last result recorded", timeout: .seconds(20)) {
            try await pool.query("SELECT runs FROM schedules WHERE id = 'tick'").first?.int("runs") == 3
        }
        let row = try #require(try await pool.query("SELECT last_status, last_result, failures FROM schedules WHERE id = 'tick'").first)
        #expect(row["last_status"] == "succeeded")
        #expect(JSON.fromDatabase(row["last_result"]) == ["attempt": 1])
        task.cancel()
        _ = try? await task.value
        await pool.close()
    }

    @Test func twoHostsClaimTenThousandJobsWithNoDuplicatesAndNoMisses() async throws {
        let pool = try await Self.database()
        try await pool.query(
            """
            INSERT INTO job_runs (owner, kind, due_at, not_before) SELECT 'test', 'demo.bulk', now(), now() FROM generate_series(1, 10000)
            """)
        let ledger = RunLedger()
        var tasks: [Task<Void, Error>] = []
        for _ in 0..<2 {
            let registry = JobRegistry()
            try registry.register(kind: "demo.bulk", owner: "test") { run in
                ledger.record(run); return .succeeded([:])
            }
            // Each host has its own pool, as separate processes would.
            let hostPool = DatabasePool(conninfo: pool.conninfo, size: 4, logger: Logger(label: "t"))
            let scheduler = Scheduler(pool: hostPool, registry: registry, options: Self.fast(), logger: Self.quiet())
            tasks.append(
                Task {
                    try await scheduler.run(); await hostPool.close()
                })
        }
        // A correctness test (no run twice, none missed), not a speed test: room for a loaded machine.
        try await eventually("all 10000 done", timeout: .seconds(90)) {
            try await pool.query("SELECT count(*) AS n FROM job_runs WHERE state = 'succeeded'").first?.int("n") == 10_000
        }
        let calls = ledger.snapshot
        #expect(calls.count == 10_000)
        #expect(calls.values.allSatisfy { $0 == [1] })
        for task in tasks { task.cancel() }
        for task in tasks { _ = try? await task.value }
        await pool.close()
    }

    @Test func aHostThatDiesMidRunLosesItsLeaseAndAnotherRunsTheJobOnceMore() async throws {
        let pool = try await Self.database()
        let ledger = RunLedger()
        let stuck = JobRegistry()
        try stuck.register(kind: "demo.slow", owner: "test") { run in
            ledger.record(run)
            try? await Task.sleep(for: .seconds(3600))  // the host "dies" while this runs
            return .failed("killed")
        }
        let doomed = Scheduler(pool: pool, registry: stuck, options: Self.fast(lease: 1), logger: Self.quiet())
        let runID = try await doomed.store.enqueue(owner: "test", kind: "demo.slow")
        let doomedTask = Task { try await doomed.run() }
        try await eventually("first attempt started", timeout: .seconds(20)) { ledger.snapshot[runID] == [1] }
        doomedTask.cancel()
        _ = try? await doomedTask.value
        #expect(try await pool.query("SELECT state FROM job_runs WHERE id = $1", [String(runID)]).first?["state"] == "running")

        let healthy = JobRegistry()
        try healthy.register(kind: "demo.slow", owner: "test") { run in
            ledger.record(run); return .succeeded([:])
        }
        let survivor = Scheduler(pool: pool, registry: healthy, options: Self.fast(lease: 1), logger: Self.quiet())
        let survivorTask = Task { try await survivor.run() }
        try await eventually("retried and done", timeout: .seconds(20)) {
            try await pool.query("SELECT state FROM job_runs WHERE id = $1", [String(runID)]).first?["state"] == "succeeded"
        }
        #expect(ledger.snapshot[runID] == [1, 2])
        survivorTask.cancel()
        _ = try? await survivorTask.value
        await pool.close()
    }

    @Test func aJobForAnOfflineAgentWaitsAndRunsOnceWhenTheAgentIsBack() async throws {
        let pool = try await Self.database()
        try await pool.query("INSERT INTO clients (name) VALUES ('c')")
        try await pool.query("INSERT INTO sites (client_id, name) SELECT id, 's' FROM clients")
        try await pool.query(
            "INSERT INTO agents (agent_id, hostname, site_id, client_id, last_seen) SELECT 'away', 'away-pc', s.id, s.client_id, now() - interval '2 hours' FROM sites s"
        )
        let clock = TestClock()
        let ledger = RunLedger()
        let registry = JobRegistry()
        try registry.register(kind: "demo.agent", owner: "test") { run in
            ledger.record(run); return .succeeded([:])
        }
        let scheduler = Scheduler(pool: pool, registry: registry, options: Self.fast(), clock: clock.read, logger: Self.quiet())
        try await scheduler.store.upsert(
            ScheduleDefinition(
                id: "nightly", owner: "test", kind: "demo.agent", spec: ["type": "interval", "seconds": 3600], agentID: "away"),
            now: clock.read())
        let task = Task { try await scheduler.run() }
        // Three occurrences pass while the agent is away: one run waits, nothing executes.
        for _ in 0..<3 {
            clock.advance(3600)
            scheduler.poke()
            try await Self.settled(scheduler)
        }
        #expect(ledger.snapshot.isEmpty)
        #expect(try await pool.query("SELECT count(*) AS n FROM job_runs WHERE state = 'pending'").first?.int("n") == 1)
        // The agent checks in (its last_seen moves to the scheduler's now).
        try await pool.query("UPDATE agents SET last_seen = $1::timestamptz WHERE agent_id = 'away'", [SQLTime.text(clock.read())])
        scheduler.poke()
        try await eventually("ran after return", timeout: .seconds(20)) { ledger.snapshot.count == 1 }
        try await Self.settled(scheduler)
        #expect(ledger.snapshot.count == 1)
        task.cancel()
        _ = try? await task.value
        await pool.close()
    }

    @Test func missedStartsFollowTheScheduleRule() async throws {
        let pool = try await Self.database()
        let clock = TestClock()
        let ledger = RunLedger()
        let registry = JobRegistry()
        try registry.register(kind: "demo.missed", owner: "test") { run in
            ledger.record(run); return .succeeded([:])
        }
        let scheduler = Scheduler(pool: pool, registry: registry, options: Self.fast(), clock: clock.read, logger: Self.quiet())
        try await scheduler.store.upsert(
            ScheduleDefinition(id: "catch-up", owner: "test", kind: "demo.missed", spec: ["type": "interval", "seconds": 600]),
            now: clock.read())
        try await scheduler.store.upsert(
            ScheduleDefinition(
                id: "skip-it", owner: "test", kind: "demo.missed", spec: ["type": "interval", "seconds": 600, "missed": "skip"]),
            now: clock.read())
        // The host was down for a day: many starts were missed.
        clock.advance(86_400)
        let task = Task { try await scheduler.run() }
        try await eventually("catch-up ran", timeout: .seconds(20)) { ledger.snapshot.count == 1 }
        try await Self.settled(scheduler)
        if ledger.snapshot.count != 1 {
            let base = clock.read().timeIntervalSince1970
            for row in try await pool.query(
                "SELECT schedule_id, state, extract(epoch FROM due_at) AS d, extract(epoch FROM started_at) AS s FROM job_runs ORDER BY id"
            ).rows {
                Issue.record(
                    "run \(row.string("schedule_id")) \(row.string("state")) due \(row.double("d") - base) started \(row.double("s") - base)"
                )
            }
            for row in try await pool.query("SELECT id, extract(epoch FROM next_run) AS n, extract(epoch FROM anchor) AS a FROM schedules")
                .rows
            {
                Issue.record("schedule \(row.string("id")) next \(row.double("n") - base) anchor \(row.double("a") - base)")
            }
        }
        #expect(ledger.snapshot.count == 1)
        let runs = try await pool.query("SELECT schedule_id FROM job_runs").rows.map { $0.string("schedule_id") }
        #expect(runs == ["catch-up"])
        // Both now look ahead from the present, not from the missed past.
        let next = try await pool.query("SELECT min(extract(epoch FROM next_run)) AS t FROM schedules").first?.double("t") ?? 0
        #expect(next > clock.read().timeIntervalSince1970)
        task.cancel()
        _ = try? await task.value
        await pool.close()
    }

    @Test func failuresAreRetriedWithBackoffUpToTheLimit() async throws {
        let pool = try await Self.database()
        let ledger = RunLedger()
        let registry = JobRegistry()
        try registry.register(kind: "demo.flaky", owner: "test") { run in
            ledger.record(run)
            return run.attempt < 2 ? .failed("not yet") : .succeeded([:])
        }
        try registry.register(kind: "demo.broken", owner: "test") { run in
            ledger.record(run); return .failed("always")
        }
        let clock = TestClock()
        let scheduler = Scheduler(
            pool: pool, registry: registry, options: Self.fast(), clock: { clock.read().addingTimeInterval(10) }, logger: Self.quiet())
        let flaky = try await scheduler.store.enqueue(owner: "test", kind: "demo.flaky", maxAttempts: 3)
        let broken = try await scheduler.store.enqueue(owner: "test", kind: "demo.broken", maxAttempts: 2)
        let task = Task { try await scheduler.run() }
        try await eventually("flaky succeeded on its second attempt", timeout: .seconds(20)) {
            try await pool.query("SELECT state FROM job_runs WHERE id = $1", [String(flaky)]).first?["state"] == "succeeded"
        }
        try await eventually("broken failed after two attempts", timeout: .seconds(20)) {
            try await pool.query("SELECT state FROM job_runs WHERE id = $1", [String(broken)]).first?["state"] == "failed"
        }
        #expect(ledger.snapshot[flaky] == [1, 2])
        #expect(ledger.snapshot[broken] == [1, 2])
        #expect(try await pool.query("SELECT error FROM job_runs WHERE id = $1", [String(broken)]).first?["error"] == "always")
        task.cancel()
        _ = try? await task.value
        await pool.close()
    }

    @Test func schedulesAreListedForOperators() async throws {
        try await TestHost.with { host in
            let admin = try await host.adminToken()
            let list = try await host.request(.get, "/core/jobs/", as: .token(admin))
            #expect(list.status == 200)
            let prune = list.json.arrayValue?.first { $0["id"] == "core.prune-history" }
            #expect(prune?["schedule"]?["expr"] == "17 3 * * *")
            #expect(prune?["next_run"]?.stringValue != nil)
            #expect(try await host.request(.get, "/core/jobs/core.prune-history/runs/", as: .token(admin)).status == 200)
            let denied = try await host.user("viewer", permissions: ["can_list_agents"], admin: admin)
            #expect(try await host.request(.get, "/core/jobs/", as: .token(denied)).status == 403)
        }
    }
}
