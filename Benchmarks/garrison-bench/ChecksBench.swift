import ArgumentParser
import Foundation
import GarrisonHost

/// `garrison-bench checks`: check-result ingestion (PATCH /api/v3/checkrunner/) and the agent's
/// checkrunner GET, with 10,000 emulated agents of 10 checks each, every request carrying
/// the token of the agent it speaks for (wrk Lua scripts pick a random agent and check).
struct ChecksBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checks", abstract: "Check results/s and p99, checkrunner GET p99, 10,000 agents x 10 checks.")

    @Option(help: "Agents to seed.") var agents = 10_000
    @Option(help: "Seconds per wrk run.") var seconds = 15
    @Option(help: "wrk connections for the result ingestion run (many agents report at once).") var connections = 64
    @Option(help: "wrk connections for the checkrunner GET run.") var getConnections = 16
    @Option(help: "wrk threads.") var threads = 2
    @Flag(help: "Only the result ingestion run (for profiling).") var ingestOnly = false
    @Flag(help: "Only the checkrunner GET runs (for profiling).") var getOnly = false
    @Flag(help: "Skip the warm-up GETs: results then find neither definitions nor states in memory, as right after a restart.") var cold =
        false
    @Flag(help: "Print PostgreSQL's top statements by total time (pg_stat_statements) at the end.") var pgStatements = false
    @Flag(help: "The Checks plugin's fast_commit = true: results answered before their commit is on disk.") var fastCommit = false

    static let checksPerAgent = 10

    func run() async throws {
        if pgStatements { PGStatements.enable() }
        let library = try BenchHost.builtPlugin("ChecksPlugin")
        let host = try await BenchHost.start { config in
            try? BenchHost.enable(
                library, file: "40-checks.toml", rest: "\n[settings]\nagent_cache_seconds = 5\nfast_commit = \(fastCommit)\n",
                in: config.pluginsDirectory)
        }
        defer { host.database.stop() }
        let pool = host.server.storage.pool
        try await Self.seed(pool, agents: agents)
        let work = URL(fileURLWithPath: host.database.root.path)
        let agentsFile = work.appendingPathComponent("agents.txt")
        try (1...agents).map { "\(Self.agentID($0)) \(Self.token($0))" }.joined(separator: "\n").write(
            to: agentsFile, atomically: true, encoding: .utf8)

        print(
            "garrison-bench checks: \(agents) agents x \(Self.checksPerAgent) checks, release build, TLS keep-alive, wrk -t\(threads), \(seconds) s per run, "
                + (fastCommit ? "fast_commit (no wait for the WAL flush)" : "each commit waits for the WAL flush"))
        print("  (real agents open a new TLS connection per call; these figures leave the handshake out)")
        if !cold { try await warmUp(host, work: work, agentsFile: agentsFile) }
        if !ingestOnly { try await measureGets(host, work: work, agentsFile: agentsFile) }
        if !getOnly { try await measurePatches(host, work: work, agentsFile: agentsFile) }
        if pgStatements { try await PGStatements.print(pool) }
        host.running.cancel()
        await host.server.shutdown()
    }

    /// Steady state for both runs: every agent has called once before (its checks'
    /// definitions are cached), but not within the 5 s the agent facts and tokens are kept,
    /// as with real agents calling every two minutes.
    private func warmUp(_ host: BenchHost, work: URL, agentsFile: URL) async throws {
        let warm = try WrkResult.run(
            url: "\(host.base)/api/v3/x/checkrunner/", token: "", threads: threads, connections: getConnections,
            seconds: min(60, agents / 400 + 3), script: try script(work, "warm.lua", Self.warmScript(agentsFile.path, threads: threads)))
        print(String(format: "  warm-up: every agent's first checkrunner GET, %.0f req/s, p99 %@", warm.requestsPerSecond, warm.p99))
        try await Task.sleep(for: .seconds(6))
    }

    private func measureGets(_ host: BenchHost, work: URL, agentsFile: URL) async throws {
        let get = try WrkResult.run(
            url: "\(host.base)/api/v3/x/checkrunner/", token: "", threads: threads, connections: getConnections, seconds: seconds,
            script: try script(work, "get.lua", Self.getScript(agentsFile.path)))
        print(
            String(
                format: "GET /api/v3/<agent_id>/checkrunner/ (-c%d, a new agent each call): %.0f req/s, p50 %@, p99 %@, non-2xx %d",
                getConnections, get.requestsPerSecond, get.p50, get.p99, get.non2xx))
        if get.non2xx > 0 { print(get.raw) }
        // A 10,000-agent fleet calling every 120 s makes about 85 GETs/s; four connections
        // already offer ten times that.
        let light = try WrkResult.run(
            url: "\(host.base)/api/v3/x/checkrunner/", token: "", threads: 1, connections: 4, seconds: seconds,
            script: try script(work, "get.lua", Self.getScript(agentsFile.path)))
        print(
            String(
                format: "  same with 4 connections: %.0f req/s, p50 %@, p99 %@, non-2xx %d", light.requestsPerSecond, light.p50, light.p99,
                light.non2xx))
    }

    private func measurePatches(_ host: BenchHost, work: URL, agentsFile: URL) async throws {
        let pool = host.server.storage.pool
        let before = try await pool.query("SELECT count(*) AS n FROM plugin_check.history").first?.int("n") ?? 0
        let patch = try WrkResult.run(
            url: "\(host.base)/api/v3/checkrunner/", token: "", threads: threads, connections: connections, seconds: seconds,
            script: try script(work, "patch.lua", Self.patchScript(agentsFile.path)))
        let after = try await pool.query("SELECT count(*) AS n FROM plugin_check.history").first?.int("n") ?? 0
        print(
            String(
                format:
                    "PATCH /api/v3/checkrunner/ (-c%d, ten results per agent in turn): %.0f req/s, p50 %@, p99 %@, non-2xx %d; %d results stored (%.0f/s)",
                connections, patch.requestsPerSecond, patch.p50, patch.p99, patch.non2xx, after - before,
                Double(after - before) / Double(seconds)))
        let events = try await pool.query("SELECT count(*) AS n, count(delivered_time) AS d FROM plugin_check.outbox").first
        print("  check.failed/check.resolved transitions: \(events?.int("n") ?? 0) written, \(events?.int("d") ?? 0) delivered")
        if patch.non2xx > 0 { print(patch.raw) }
    }

    static func agentID(_ n: Int) -> String { "benchagent" + String(format: "%030d", n) }
    static func token(_ n: Int) -> String { "benchtoken" + String(format: "%030d", n) }

    private func script(_ folder: URL, _ name: String, _ text: String) throws -> String {
        let file = folder.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// 100 clients, 2 sites each, the agents spread over them, and 10 checks per agent
    /// (two disks, cpu, memory, two pings, a script, two services, an event log) whose ids
    /// are (agent - 1) * 10 + slot + 1, so the Lua scripts can name them.
    static func seed(_ pool: DatabasePool, agents: Int) async throws {
        try await pool.transaction { c in
            try BenchSeed.fleet(c, agents: agents)
            try c.query(
                """
                INSERT INTO plugin_check.checks (id, agent_id, agent_pk, check_type, name, warning_threshold, error_threshold, disk, ip, script,
                                                 warning_return_codes, timeout, svc_name, log_name, event_id, fail_when, fails_b4_alert)
                SELECT (a.n - 1) * 10 + k + 1, a.agent_id, a.id,
                       (ARRAY['diskspace','diskspace','cpuload','memory','ping','ping','script','winsvc','winsvc','eventlog'])[k + 1], 'check ' || k,
                       CASE WHEN k < 2 THEN 25 WHEN k < 4 THEN 70 ELSE 0 END, CASE WHEN k < 2 THEN 10 WHEN k < 4 THEN 90 ELSE 0 END,
                       CASE k WHEN 0 THEN 'C:' WHEN 1 THEN 'D:' END, CASE k WHEN 4 THEN '10.0.0.1' WHEN 5 THEN '10.0.0.2' END,
                       CASE WHEN k = 6 THEN '{"name":"probe","code":"exit 0","shell":"powershell"}'::jsonb END,
                       CASE WHEN k = 6 THEN '[1]'::jsonb ELSE '[]'::jsonb END, CASE WHEN k = 6 THEN 60 END,
                       CASE k WHEN 7 THEN 'Spooler' WHEN 8 THEN 'W32Time' END, CASE WHEN k = 9 THEN 'System' END, CASE WHEN k = 9 THEN 7 END,
                       CASE WHEN k = 9 THEN 'contains' END, 3
                FROM (SELECT id, agent_id, substr(agent_id, 11)::int AS n FROM agents) a, generate_series(0, 9) k
                """)
            try c.query("SELECT setval('plugin_check.checks_id_seq', (SELECT max(id) FROM plugin_check.checks))")
            // Steady state: every check has run before, so each result updates its row.
            try c.query(
                """
                INSERT INTO plugin_check.results (agent_id, check_id, status, last_run, seq)
                SELECT agent_id, id, 'passing', now() - interval '2 minutes', 1 FROM plugin_check.checks
                """)
            try c.query("ANALYZE")
        }
    }

    /// Lua that reads the "agent_id token" lines into `agents`.
    static func agentsLua(_ agentsFile: String) -> String {
        """
        local agents = {}
        for line in io.lines("\(agentsFile)") do
          local id, token = line:match("(%S+) (%S+)")
          agents[#agents + 1] = { id, token }
        end
        """
    }

    /// Each thread walks its own share of the agents once, in order, then stays on its last.
    static func warmScript(_ agentsFile: String, threads: Int) -> String {
        """
        local counter = 0
        function setup(thread)
          thread:set("part", counter)
          counter = counter + 1
        end
        \(agentsLua(agentsFile))
        local n = nil
        request = function()
          local share = math.ceil(#agents / \(threads))
          if n == nil then n = part * share end
          if n < math.min((part + 1) * share, #agents) then n = n + 1 end
          local a = agents[n]
          return wrk.format("GET", "/api/v3/" .. a[1] .. "/checkrunner/", { ["Authorization"] = "Token " .. a[2] })
        end
        """
    }

    /// Each thread walks the agents from its own starting point, one checkrunner GET per
    /// agent: the first call of an agent's check cycle, so nothing about it is cached yet.
    static func getScript(_ agentsFile: String) -> String {
        """
        \(agentsLua(agentsFile))
        math.randomseed(os.time() + os.clock() * 1000000)
        local n = math.random(#agents)
        request = function()
          n = n % #agents + 1
          local a = agents[n]
          return wrk.format("GET", "/api/v3/" .. a[1] .. "/checkrunner/", { ["Authorization"] = "Token " .. a[2] })
        end
        """
    }

    /// Check cycles as agents run them: each thread walks the agents from its own starting
    /// point and sends an agent's ten results back to back, each with a body of that check's
    /// type (values that sometimes fail, so some results cross fails_b4_alert and raise events).
    /// `close`: each request says `Connection: close`, as the real agent's do.
    static func patchScript(_ agentsFile: String, close: Bool = false) -> String {
        """
        \(agentsLua(agentsFile))
        math.randomseed(os.time() + os.clock() * 1000000)
        local bodies = {
          function(r) return string.format('"percent_used":%d,"exists":true,"more_info":"Total: 100 GB, Free: %d GB"', r, 100 - r) end,
          function(r) return string.format('"percent_used":%d,"exists":true,"more_info":"Total: 100 GB, Free: %d GB"', r, 100 - r) end,
          function(r) return string.format('"percent":%d', r) end,
          function(r) return string.format('"percent":%d', r) end,
          function(r) return string.format('"status":"%s","output":"Reply from 10.0.0.1"', r > 90 and "failing" or "passing") end,
          function(r) return string.format('"status":"%s","output":"Reply from 10.0.0.2"', r > 90 and "failing" or "passing") end,
          function(r) return string.format('"stdout":"ok","stderr":"","retcode":%d,"runtime":0.125', r > 90 and 1 or 0) end,
          function(r) return string.format('"status":"%s","more_info":"Status: running"', r > 95 and "failing" or "passing") end,
          function(r) return string.format('"status":"%s","more_info":"Status: running"', r > 95 and "failing" or "passing") end,
          function(r) return r > 90 and '"log":[{"source":"disk","eventType":"ERROR","eventID":7,"message":"bad block","time":"2024-01-02 03:04:05 +0000 UTC","uid":1}]' or '"log":[]' end,
        }
        local n = math.random(#agents)
        local k = 9
        request = function()
          k = k + 1
          if k > 9 then k = 0; n = n % #agents + 1 end
          local a = agents[n]
          local body = string.format('{"id":%d,"agent_id":"%s",', (n - 1) * 10 + k + 1, a[1]) .. bodies[k + 1](math.random(0, 100)) .. "}"
          return wrk.format("PATCH", "/api/v3/checkrunner/", { ["Authorization"] = "Token " .. a[2], ["Content-Type"] = "application/json"\(close ? ", [\"Connection\"] = \"close\"" : "") }, body)
        end
        """
    }
}
