import AgentEmulator
import ArgumentParser
import Foundation
import GarrisonHost
import NIOCore
import NIOPosix

/// `garrison-bench patching`: the patching plugin's three figures -- 10,000 agents each
/// posting a 150-update scan (stored in under 60 s), `GET /winupdate/<agent_id>/` p99 with
/// the 1.5 million rows stored (under 20 ms), and the hourly install check across the
/// 10,000 agents (under 5 s of database time, from pg_stat_statements).
struct PatchingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patching", abstract: "Scan uploads of 10,000 agents x 150 updates, GET /winupdate/ p99, the hourly install check.")

    @Option(help: "Agents to seed.") var agents = 10_000
    @Option(help: "Updates in each agent's scan.") var updates = 150
    @Option(help: "Scan uploads in flight at once (each a new TLS connection, as the agent makes).") var concurrency = 32
    @Option(help: "Seconds of the GET run.") var seconds = 15
    @Option(help: "wrk connections for the GET run.") var connections = 4
    @Flag(help: "Print PostgreSQL's top statements by total time at the end.") var pgStatements = false

    func run() async throws {
        PGStatements.enable()
        let library = try BenchHost.builtPlugin("PatchingPlugin")
        let host = try await BenchHost.start { config in
            config.natsEnabled = true
            try? BenchHost.enable(library, file: "70-winupdate.toml", rest: "\n[settings]\ninstall_task = false\napprove_task = false\n", in: config.pluginsDirectory)
        }
        defer { host.database.stop() }
        let pool = host.server.storage.pool
        try await pool.transaction { c in
            try BenchSeed.fleet(c, agents: agents)
            try c.query("UPDATE agents SET version = '2.9.1'")
            try c.query("ANALYZE")
        }
        print(
            "garrison-bench patching: \(agents) Windows agents, \(updates) updates per scan, release build, TLS, \(concurrency) uploads in flight")

        try await measureScans(host)
        try await measureGet(host)
        try await measureInstallCheck(host)
        if pgStatements { try await PGStatements.print(pool) }
        host.running.cancel()
        await host.server.shutdown()
    }

    // MARK: scans

    /// One agent's scan: `updates` WUA items shaped as agent 2.9.1 sends them.
    func scanBody(_ n: Int) -> String {
        let agentID = ChecksBench.agentID(n)
        var items: [String] = []
        items.reserveCapacity(updates)
        let severities = ["Critical", "Important", "Moderate", "Low", ""]
        for k in 0..<updates {
            let kb = 5_000_000 + k
            items.append(
                #"{"title":"2026-11 Cumulative Update for Windows Server 2022 for x64-based Systems (KB\#(kb))","description":"Install this update to resolve issues in Windows. After you install this item, you may have to restart your computer.","categories":["Security Updates"],"category_ids":["0fa1201d-4330-4fa8-8ae9-b877473b6441"],"kb_article_ids":["\#(kb)"],"more_info_urls":["https://support.microsoft.com/help/\#(kb)"],"support_url":"https://support.microsoft.com/help/\#(kb)","guid":"7e5b2a1f-\#(String(format: "%04d", k))-4c6e-9d2c-\#(String(format: "%012d", n))","revision_number":1,"severity":"\#(severities[k % severities.count])","installed":false,"downloaded":false}"#
            )
        }
        return #"{"agent_id":"\#(agentID)","wua_updates":[\#(items.joined(separator: ","))]}"#
    }

    func measureScans(_ host: BenchHost) async throws {
        let url = URL(string: host.base)!
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let tls = try AgentConnection.tlsContext(verifyCertificate: false)
        let sample = scanBody(1)
        let started = ContinuousClock.now
        var failures = 0
        var firstFailure = ""
        try await withThrowingTaskGroup(of: AgentREST.Reply.self) { tasks in
            var next = 1
            func start() {
                let n = next
                next += 1
                let body = scanBody(n)
                tasks.addTask {
                    try await AgentREST.request(
                        .POST, host: url.host!, port: url.port!, path: "/api/v3/winupdates/",
                        authorization: [("Authorization", "Token \(ChecksBench.token(n))")], json: body, tls: tls, on: group.next()
                    ).get()
                }
            }
            while next <= min(agents, concurrency) { start() }
            while let reply = try await tasks.next() {
                if reply.status != 200 {
                    failures += 1
                    if firstFailure.isEmpty { firstFailure = "\(reply.status) \(reply.body.prefix(200))" }
                }
                if next <= agents { start() }
            }
        }
        let elapsed = (ContinuousClock.now - started).seconds
        try? await group.shutdownGracefully()
        let stored = try await host.server.storage.pool.query("SELECT count(*)::int AS n FROM plugin_winupdate.updates").first?.int("n") ?? 0
        print(
            String(
                format:
                    "POST /api/v3/winupdates/, %d agents x %d updates (%.0f KB each): all answered in %.1f s (%.0f scans/s, %.0f rows/s); %d rows stored; %d failed%@ -- target < 60 s: %@",
                agents, updates, Double(sample.utf8.count) / 1024, elapsed, Double(agents) / elapsed, Double(stored) / elapsed, stored, failures,
                firstFailure.isEmpty ? "" : " (first: \(firstFailure))", elapsed < 60 && stored == agents * updates ? "met" : "MISSED"))
    }

    // MARK: the operator's list

    func measureGet(_ host: BenchHost) async throws {
        let work = host.database.root
        let ids = work.appendingPathComponent("agent-ids.txt")
        try (1...agents).map { ChecksBench.agentID($0) }.joined(separator: "\n").write(to: ids, atomically: true, encoding: .utf8)
        let script = work.appendingPathComponent("winupdate-get.lua")
        try """
        local ids = {}
        for line in io.lines("\(ids.path)") do ids[#ids + 1] = line end
        math.randomseed(os.time() + os.clock() * 1000000)
        request = function() return wrk.format("GET", "/winupdate/" .. ids[math.random(#ids)] .. "/") end
        """.write(to: script, atomically: true, encoding: .utf8)
        let rows = try await host.server.storage.pool.query("SELECT count(*)::int AS n FROM plugin_winupdate.updates").first?.int("n") ?? 0
        // One operator at a time (the figure), then several at once.
        for width in [1, connections] {
            let get = try WrkResult.run(
                url: "\(host.base)/", token: host.token, threads: 1, connections: width, seconds: seconds, script: script.path)
            print(
                String(
                    format:
                        "GET /winupdate/<random agent>/ (%d updates each, %d rows stored, wrk -t1 -c%d, keep-alive TLS): %.0f req/s, p50 %@, p99 %@, non-2xx %d -- target p99 < 20 ms",
                    updates, rows, width, get.requestsPerSecond, get.p50, get.p99, get.non2xx))
            if get.non2xx > 0 { print(get.raw) }
        }
    }

    // MARK: the hourly install check

    /// Every agent due now: a client policy approving every severity daily at this hour, every
    /// agent with approved updates, none installed today. The database time is the sum of
    /// pg_stat_statements' execution time over the run (host and plugin statements alike).
    func measureInstallCheck(_ host: BenchHost) async throws {
        let pool = host.server.storage.pool
        let now = Date()
        let hour = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: now).hour!
        try await pool.query("INSERT INTO policies (name, active) VALUES ('patch-bench', true)")
        let policy = try await pool.query("SELECT id FROM policies WHERE name = 'patch-bench'").first!.int("id")
        try await pool.query("UPDATE clients SET server_policy = $1", [String(policy)])
        let made = try await post(
            host, "/automation/patchpolicy/",
            #"{"policy":\#(policy),"critical":"approve","important":"approve","moderate":"approve","low":"approve","other":"approve","run_time_frequency":"daily","run_time_hour":\#(hour),"run_time_days":[0,1,2,3,4,5,6]}"#)
        guard made.status == 200 else { throw BenchError("patch policy: \(made.status) \(made.body)") }
        try await pool.query("UPDATE plugin_winupdate.updates SET action = 'approve' WHERE severity IN ('Critical', 'Important')")
        try await pool.query("UPDATE agents SET last_seen = now()")
        try await pool.query("VACUUM ANALYZE plugin_winupdate.updates")
        try await pool.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        try await pool.query("SELECT pg_stat_statements_reset()")
        let started = ContinuousClock.now
        let id = try await host.server.scheduler.store.enqueue(
            owner: "winupdate", kind: "winupdate:winupdate.install_check", payload: ["now": .string(ISO8601DateFormatter().string(from: now))])
        host.server.scheduler.poke()
        var state = ""
        while state != "succeeded" {
            try await Task.sleep(for: .milliseconds(50))
            let row = try await pool.query("SELECT state, result::text AS result FROM job_runs WHERE id = $1", [String(id)]).first
            state = row?.string("state") ?? ""
            if state == "failed" { throw BenchError("the install check failed: \(row?.string("result") ?? "")") }
            if ContinuousClock.now - started > .seconds(600) { throw BenchError("the install check did not finish in 10 minutes") }
        }
        let wall = (ContinuousClock.now - started).seconds
        let result = try await pool.query("SELECT result::text AS r FROM job_runs WHERE id = $1", [String(id)]).first?.string("r") ?? ""
        let db = try await pool.query(
            "SELECT coalesce(sum(total_exec_time), 0)::float8 AS ms, coalesce(sum(calls), 0)::bigint AS calls FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' AND query NOT LIKE '%job_runs WHERE id = $1%'"
        ).first
        let dbSeconds = (Double(db?.string("ms") ?? "0") ?? 0) / 1000
        print(
            String(
                format:
                    "hourly install check, %d agents with approved updates, all due: %.2f s of database time in %d statements, %.1f s wall; result %@ -- target < 5 s of database time: %@",
                agents, dbSeconds, db?.int("calls") ?? 0, wall, result, dbSeconds < 5 ? "met" : "MISSED"))
    }

    private func post(_ host: BenchHost, _ path: String, _ json: String) async throws -> AgentREST.Reply {
        let url = URL(string: host.base)!
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let reply = try await AgentREST.request(
            .POST, host: url.host!, port: url.port!, path: path, authorization: [("Authorization", "Token \(host.token)")],
            json: json, tls: try AgentConnection.tlsContext(verifyCertificate: false), on: group.next()
        ).get()
        try? await group.shutdownGracefully()
        return reply
    }
}
