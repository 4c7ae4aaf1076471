import ArgumentParser
import Foundation
import GarrisonHost
import NIOConcurrencyHelpers

/// `garrison-bench scripting`: a bulk script run (POST /agents/actions/bulk/, the Scripting plugin) over
/// 10,000 agents seeded online in the database. One NATS connection in this process, on the
/// host's own NATS user, subscribes to every agent subject and answers each runscriptfull at
/// once, as fleet_agent.py does in the tests. Printed: the POST's own time, dispatch (POST to
/// the last request reaching an agent), storage (the last agent answer to all results stored,
/// as GET /agents/actions/bulk/<id>/ reports them) and the total.
struct ScriptingBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scripting",
        abstract: "Bulk script run over 10,000 emulated agents: dispatch time, answers-to-stored time, total.")

    @Option(help: "Agents to seed (all online).") var agents = 10_000
    @Option(help: "Milliseconds between progress polls.") var pollMilliseconds = 50
    @Flag(help: "Give the script an argument with {{agent.hostname}} (one agent lookup per request).") var templated = false

    func run() async throws {
        let library = try BenchHost.builtPlugin("ScriptingPlugin")
        let host = try await BenchHost.start { config in
            config.natsEnabled = true
            try? BenchHost.enable(
                library, file: "50-scripting.toml", rest: "enabled = true\nrequired = true\n", in: config.pluginsDirectory)
        }
        defer { host.database.stop() }
        do {
            try await measure(host)
        } catch {
            // Stop nats-server (the host's child) on the way out too.
            host.running.cancel()
            await host.server.shutdown()
            throw error
        }
        host.running.cancel()
        await host.server.shutdown()
    }

    private func measure(_ host: BenchHost) async throws {
        guard let supervisor = host.server.bus?.supervisor else { throw BenchError("the host started without its NATS bus") }
        let pool = host.server.storage.pool

        try await pool.query("INSERT INTO clients (name) VALUES ('bench')")
        try await pool.query("INSERT INTO sites (client_id, name) SELECT id, 'bench' FROM clients WHERE name = 'bench'")
        try await pool.query(
            """
            INSERT INTO agents (agent_id, hostname, site_id, client_id, plat, monitoring_type, last_seen)
            SELECT 'benchagent' || lpad(g::text, 30, '0'), 'host-' || g, s.id, s.client_id, 'linux', 'server', now()
            FROM generate_series(1, $1::int) g, sites s WHERE s.name = 'bench'
            """, [String(agents)])
        try await pool.query("ANALYZE")

        // The stand-in for every agent: record when each command arrives, answer at once.
        let responder = Responder()
        let connection = try NATSConnection.connect(
            .init(url: supervisor.url, user: supervisor.hostUser, password: supervisor.hostPassword),
            logger: .init(label: "bench-fleet"))
        defer { connection.close() }
        try connection.subscribe("*") { message in responder.handle(message, connection) }
        try connection.flush()

        var scriptBody: [String: Any] = ["name": "Bench", "shell": "shell", "code": "uptime", "default_timeout": 60]
        if templated { scriptBody["args"] = ["{{agent.hostname}}"] }
        let script = try await call("POST", "/scripts/", host: host, body: scriptBody)
        guard let scriptID = script["id"]?.intValue else { throw BenchError("script not created: \(script)") }

        print(
            "garrison-bench scripting: bulk script run over \(agents) agents seeded online, release build, host + PostgreSQL + nats-server + the responder on this machine\(templated ? ", templated argument" : "")"
        )
        let started = ContinuousClock.now
        let startedWall = Date()
        let bulk = try await call(
            "POST", "/agents/actions/bulk/", host: host,
            body: [
                "mode": "script", "target": "all", "script": scriptID, "osType": "all", "monType": "all", "timeout": 60,
            ])
        let posted = ContinuousClock.now - started
        guard let bulkID = bulk["bulk_id"]?.intValue, bulk["total"]?.intValue == agents else {
            throw BenchError("bulk run not started: \(bulk)")
        }

        // Poll progress until nothing is pending and every agent's result is stored.
        var progress = JSON.null
        var polls = 0
        let deadline = ContinuousClock.now + .seconds(300)
        while true {
            progress = try await call("GET", "/agents/actions/bulk/\(bulkID)/?results=false", host: host)
            polls += 1
            let completed = progress["counts"]?["completed"]?.intValue ?? 0
            if progress["finished"] == true,
                completed + (progress["counts"]?["error"]?.intValue ?? 0) + (progress["counts"]?["timeout"]?.intValue ?? 0) >= agents
            {
                break
            }
            if ContinuousClock.now > deadline { throw BenchError("bulk run not finished after 300 s: \(progress)") }
            try await Task.sleep(for: .milliseconds(pollMilliseconds))
        }
        let stored = ContinuousClock.now
        let seen = responder.snapshot
        guard let first = seen.firstArrival, let last = seen.lastArrival, let answered = seen.lastAnswer else {
            throw BenchError("no command reached the responder")
        }
        let counts = progress["counts"].map { String(decoding: $0.serialized(), as: UTF8.self) } ?? "?"

        // Cross-check from the database: the last row's own update time against the last answer.
        let schema =
            try await pool.query("SELECT table_schema FROM information_schema.tables WHERE table_name = 'bulk_results'").first?.string(
                "table_schema") ?? "plugin_scripting"
        let row = try await pool.query(
            "SELECT count(*)::int AS n, extract(epoch FROM max(updated))::float8 AS last FROM \(schema).bulk_results WHERE bulk_id = $1 AND status = 'completed'",
            [String(bulkID)]
        ).first
        let dbLast = row?.double("last")
        let history =
            try await pool.query(
                "SELECT count(*)::int AS n FROM agent_history WHERE origin = $1 AND status = 'completed'", ["bulk:\(bulkID)"]
            ).first?.int("n") ?? 0

        print(String(format: "POST /agents/actions/bulk/ answered in %.3f s (bulk id %d, total %d)", posted.seconds, bulkID, agents))
        print(
            String(
                format:
                    "dispatch: %d requests reached the agents, first %.3f s, last %.3f s after the POST was sent (figure: every request dispatched in < 2 s); first to last %.3f s (%.0f requests/s)",
                seen.commands, (first - started).seconds, (last - started).seconds, (last - first).seconds,
                Double(seen.commands) / max((last - first).seconds, 0.001)))
        print(
            String(
                format: "agents answered: last answer %.3f s after the POST was sent (%d answers)", (answered - started).seconds,
                seen.answers))
        print(
            String(
                format:
                    "stored: all %d results stored %.3f s after the last agent answer (GET progress poll every %d ms, %d polls; figure: < 10 s); counts %@",
                agents, (stored - answered).seconds, pollMilliseconds, polls, counts))
        if let dbLast {
            let lastAnswerWall = startedWall.timeIntervalSince1970 + (answered - started).seconds
            print(
                String(
                    format:
                        "  by the database's clock: last bulk_results row updated %.3f s after the last answer; %d completed rows, %d completed agent_history rows",
                    dbLast - lastAnswerWall, row?.int("n") ?? 0, history))
        }
        print(String(format: "total: POST sent to all %d results stored in %.3f s", agents, (stored - started).seconds))
    }

    /// One HTTP call as admin with curl, off the cooperative pool (the host shares it).
    private func call(_ method: String, _ path: String, host: BenchHost, body: [String: Any]? = nil) async throws -> JSON {
        var arguments = ["-sk", "-X", method, "-H", "Authorization: Token \(host.token)"]
        if let body {
            let data = try JSONSerialization.data(withJSONObject: body)
            arguments += ["-H", "Content-Type: application/json", "-d", String(decoding: data, as: UTF8.self)]
        }
        arguments.append(host.base + path)
        let command = arguments
        let output: String = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do { continuation.resume(returning: try Subprocess.run("/usr/bin/curl", command).output) } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
        guard let value = try? JSON.parse(Data(output.utf8)) else { throw BenchError("\(method) \(path): \(output.prefix(500))") }
        return value
    }
}

/// Every agent at once: answers runscriptfull with a RunScriptResp map, runscript with a
/// string, and records arrival and answer times.
private final class Responder: Sendable {
    struct Seen {
        var commands = 0
        var answers = 0
        var firstArrival: ContinuousClock.Instant?
        var lastArrival: ContinuousClock.Instant?
        var lastAnswer: ContinuousClock.Instant?
    }

    private let state = NIOLockedValueBox(Seen())
    var snapshot: Seen { state.withLockedValue { $0 } }

    func handle(_ message: NATSMessage, _ connection: NATSConnection) {
        let arrived = ContinuousClock.now
        guard let command = try? MsgPackDecoder.decode(message.data), let function = command["func"]?.stringValue else { return }
        state.withLockedValue {
            $0.commands += 1
            if $0.firstArrival == nil { $0.firstArrival = arrived }
            $0.lastArrival = arrived
        }
        let reply: MsgPackValue
        switch function {
        case "runscriptfull":
            reply = .map([
                MsgPackPair(.string("stdout"), .string("out " + message.subject)), MsgPackPair(.string("stderr"), .string("")),
                MsgPackPair(.string("retcode"), .int(0)), MsgPackPair(.string("execution_time"), .double(0.01)),
                MsgPackPair(.string("id"), command["id"] ?? .int(0)),
            ])
        case "runscript":
            reply = .string("out " + message.subject)
        default:
            return
        }
        guard let inbox = message.reply, (try? connection.publish(inbox, MsgPackEncoder.encode(reply))) != nil else { return }
        let answered = ContinuousClock.now
        state.withLockedValue {
            $0.answers += 1
            $0.lastAnswer = answered
        }
    }
}
