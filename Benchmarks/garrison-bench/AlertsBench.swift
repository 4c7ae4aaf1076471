import ArgumentParser
import Foundation
import GarrisonHost

/// `garrison-bench alerts`: the alerting figures, each on a host of its own.
///
/// - outage: `agents` agents (overdue alerts by e-mail and on the dashboard) stop reporting at
///   once; one status sweep raises agent.overdue for all of them, and the time runs until every
///   availability alert exists and its e-mail notification is queued (the alerts plugin's
///   outbox, written in the alert's transaction).
/// - email: `emails` alert.notify events of channel email to the e-mail plugin, sent to a local
///   aiosmtpd (Tests/Fixtures/Mail/smtp_server.py, AUTH PLAIN) over one reused connection per
///   burst: messages/s from the first event to the last one marked sent.
/// - webhook: `webhooks` alert.notify events of channel webhook (a rest URL action without
///   variables) to the URL actions plugin, posted to a local nginx answering 200: webhooks/s
///   likewise.
/// - list: `PATCH /alerts/` pages of 50 (the dashboard's query, paged) with `stored` alerts in
///   the table, by wrk over keep-alive TLS: p50 and p99.
struct AlertsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "Site outage → alerts queued, e-mail/s and webhooks/s to local servers, PATCH /alerts/ p99.")

    @Option(help: "Agents going offline at once.") var agents = 10_000
    @Option(help: "E-mail notifications to send.") var emails = 2_000
    @Option(help: "Webhook notifications to send.") var webhooks = 5_000
    @Option(help: "Alerts stored for the list run.") var stored = 100_000
    @Option(help: "Seconds per wrk run.") var seconds = 10
    @Option(help: "wrk connections for the list run.") var connections = 4
    @Option(help: "Only this part: outage, email, webhook or list.") var only: String?

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func run() async throws {
        if only == nil || only == "outage" { try await outage() }
        if only == nil || only == "email" { try await email() }
        if only == nil || only == "webhook" { try await webhook() }
        if only == nil || only == "list" { try await list() }
    }

    // MARK: site outage

    func outage() async throws {
        let library = try BenchHost.builtPlugin("AlertsPlugin")
        let host = try await BenchHost.start { config in
            try? BenchHost.enable(library, file: "60-alerts.toml", rest: "\n[settings]\nnotify_sweep_seconds = 3600\n", in: config.pluginsDirectory)
        }
        defer { host.database.stop() }
        let pool = host.server.storage.pool
        try await pool.transaction { c in
            try BenchSeed.fleet(c, agents: agents)
            // Reported an hour ago: past both the offline and the overdue time; overdue alerts
            // by e-mail and on the dashboard, as an operator who watches a site would set.
            try c.query(
                """
                UPDATE agents SET last_seen = now() - interval '1 hour', status_announced = 'online',
                                  overdue_email_alert = true, overdue_dashboard_alert = true
                """)
            try c.query("ANALYZE")
        }
        let started = ContinuousClock.now
        let raised = try await AgentStatusWatch.sweep(pool: pool, events: host.server.context.events)
        let swept = ContinuousClock.now - started
        var alerts = 0
        var queued = 0
        while alerts < agents || queued < agents {
            try await Task.sleep(for: .milliseconds(20))
            let row = try await pool.query(
                """
                SELECT (SELECT count(*) FROM plugin_alert.alerts WHERE alert_type = 'availability') AS alerts,
                       (SELECT count(*) FROM plugin_alert.notifications WHERE channel = 'email') AS queued
                """
            ).first
            alerts = row?.int("alerts") ?? 0
            queued = row?.int("queued") ?? 0
            if ContinuousClock.now - started > .seconds(120) { break }
        }
        let elapsed = ContinuousClock.now - started
        print(
            "garrison-bench alerts outage: \(agents) agents overdue at once (one sweep: \(raised) agent.overdue events in \(Self.ms(swept))): "
                + "\(alerts) availability alerts and \(queued) e-mail notifications queued in \(Self.ms(elapsed)) (target < 5 s)")
        host.running.cancel()
        await host.server.shutdown()
    }

    // MARK: e-mail throughput

    func email() async throws {
        let library = try BenchHost.builtPlugin("AlertEmailPlugin")
        let smtpPort = FreePort.find()
        let mail = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-bench-mail-\(getpid())")
        try FileManager.default.createDirectory(at: mail, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mail) }
        let smtp = try Self.startPython(
            [Self.root.appendingPathComponent("Tests/Fixtures/Mail/smtp_server.py").path, String(smtpPort), "alerts", "s3cret", mail.path],
            what: "aiosmtpd")
        defer { smtp.stop() }
        let host = try await BenchHost.start { config in
            try? BenchHost.enable(
                library, file: "61-alert-email.toml",
                rest: """

                    [settings]
                    smtp_host = "127.0.0.1"
                    smtp_port = \(smtpPort)
                    tls = "none"
                    from = "garrison@example.com"
                    username = "alerts"
                    password = "s3cret"
                    auth = "plain"
                    recipients = "ops@example.com"
                    send_sweep_seconds = 3600

                    """, in: config.pluginsDirectory)
        }
        defer { host.database.stop() }
        let pool = host.server.storage.pool
        let events = host.server.context.events
        let started = ContinuousClock.now
        for n in 1...emails {
            events.publish(
                "alert.notify",
                [
                    "notification_id": .number(Double(n)), "alert_id": .number(Double(n)), "kind": "raised", "channel": "email",
                    "subject": .string("Bench Co, HQ, host-\(n) - data overdue"),
                    "body": .string("Data has not been received from client Bench Co, site HQ, agent host-\(n) within the expected time."),
                ])
        }
        var sent = 0
        while sent < emails {
            try await Task.sleep(for: .milliseconds(20))
            sent = try await pool.query("SELECT count(sent_time) AS n FROM plugin_alert_email.messages").first?.int("n") ?? 0
            if ContinuousClock.now - started > .seconds(300) { break }
        }
        let elapsed = ContinuousClock.now - started
        let received = (try? FileManager.default.contentsOfDirectory(atPath: mail.path).filter { $0.hasSuffix(".json") }.count) ?? 0
        let failed = try await pool.query("SELECT count(*) AS n FROM plugin_alert_email.messages WHERE attempts > 1 OR gave_up").first?.int("n") ?? 0
        print(
            String(
                format: "garrison-bench alerts email: %d e-mails sent in %@ = %.0f messages/s (target ≥ 200), %d received by aiosmtpd, %d retried",
                sent, Self.ms(elapsed), Double(sent) / Self.seconds(elapsed), received, failed))
        host.running.cancel()
        await host.server.shutdown()
    }

    // MARK: webhook throughput

    func webhook() async throws {
        let library = try BenchHost.builtPlugin("URLActionsPlugin")
        let port = FreePort.find()
        let nginx = try Self.startNginx(port: port)
        defer { nginx.stop() }
        let host = try await BenchHost.start { config in
            try? BenchHost.enable(
                library, file: "63-urlactions.toml", rest: "\n[settings]\nsend_sweep_seconds = 3600\nmax_attempts = 5\n",
                in: config.pluginsDirectory)
        }
        defer { host.database.stop() }
        let pool = host.server.storage.pool
        let action = try await pool.query(
            """
            INSERT INTO plugin_urlaction.url_actions (name, pattern, action_type, rest_method, rest_body, rest_headers)
            VALUES ('bench', $1, 'rest', 'post', '{"text": "alert"}', '{"Content-Type": "application/json"}') RETURNING id
            """, ["http://127.0.0.1:\(port)/hook"]
        ).first?.int("id") ?? 0
        let events = host.server.context.events
        let started = ContinuousClock.now
        for n in 1...webhooks {
            events.publish(
                "alert.notify",
                [
                    "notification_id": .number(Double(n)), "alert_id": .number(Double(n)), "kind": "raised", "channel": "webhook",
                    "action": ["url_action": .number(Double(action))], "alert": ["id": .number(Double(n)), "severity": "error"],
                ])
        }
        var done = 0
        while done < webhooks {
            try await Task.sleep(for: .milliseconds(20))
            done = try await pool.query("SELECT count(sent_time) + count(*) FILTER (WHERE gave_up) AS n FROM plugin_urlaction.deliveries").first?.int("n") ?? 0
            if ContinuousClock.now - started > .seconds(300) { break }
        }
        let elapsed = ContinuousClock.now - started
        let row = try await pool.query(
            "SELECT count(*) FILTER (WHERE status = 200) AS ok, count(*) FILTER (WHERE attempts > 1 OR gave_up) AS retried FROM plugin_urlaction.deliveries"
        ).first
        print(
            String(
                format: "garrison-bench alerts webhook: %d webhooks answered in %@ = %.0f webhooks/s (target ≥ 1,000), %d answered 200, %d retried",
                done, Self.ms(elapsed), Double(done) / Self.seconds(elapsed), row?.int("ok") ?? 0, row?.int("retried") ?? 0))
        host.running.cancel()
        await host.server.shutdown()
    }

    // MARK: PATCH /alerts/ with many alerts stored

    func list() async throws {
        let library = try BenchHost.builtPlugin("AlertsPlugin")
        let host = try await BenchHost.start { config in
            try? BenchHost.enable(library, file: "60-alerts.toml", in: config.pluginsDirectory)
        }
        defer { host.database.stop() }
        let pool = host.server.storage.pool
        try await pool.transaction { c in
            try BenchSeed.fleet(c, agents: 10_000)
            // A year of history: mostly resolved check alerts, some open, some availability.
            try c.query(
                """
                INSERT INTO plugin_alert.alerts (alert_type, subject, agent_pk, agent_id, hostname, client_id, client_name, site_id, site_name,
                                                 assigned_check, severity, message, alert_time, resolved, resolved_on, hidden)
                SELECT CASE WHEN g % 10 = 0 THEN 'availability' ELSE 'check' END,
                       CASE WHEN g % 10 = 0 THEN 'availability:' ELSE 'check:' END || a.agent_id || ':' || g,
                       a.id, a.agent_id, a.hostname, a.client_id, c.name, a.site_id, s.name,
                       CASE WHEN g % 10 = 0 THEN NULL ELSE g END,
                       (ARRAY['info', 'warning', 'error'])[g % 3 + 1],
                       a.hostname || ' has a ping check: Ping gateway ' || g || ' that failed.',
                       now() - make_interval(secs => g * 300), g % 20 <> 0, CASE WHEN g % 20 <> 0 THEN now() - make_interval(secs => g * 300 - 60) END,
                       false
                FROM generate_series(1, $1::int) g
                JOIN agents a ON a.id = (SELECT min(id) FROM agents) + g % 10000
                JOIN sites s ON s.id = a.site_id JOIN clients c ON c.id = a.client_id
                """, [String(stored)])
        }
        // A year of alerts has been vacuumed by autovacuum long since (its visibility map lets
        // a count read an index alone); the seed is vacuumed to match.
        _ = try await pool.query("VACUUM ANALYZE")
        let count = try await pool.query("SELECT count(*) AS n FROM plugin_alert.alerts").first?.int("n") ?? 0
        let work = URL(fileURLWithPath: host.database.root.path)
        print("garrison-bench alerts list: \(count) alerts stored, release build, TLS keep-alive, wrk -t2 -c\(connections), \(seconds) s per run")
        let bodies: [(String, String)] = [
            ("page 1 of all, newest first", #"{"page": 1, "page_size": 50}"#),
            ("page 1 of all with its total (with_count)", #"{"page": 1, "page_size": 50, "with_count": true}"#),
            (
                "dashboard filters (30 days, open, unsnoozed, error+warning), page 2",
                #"{"timeFilter": 30, "resolvedFilter": false, "snoozedFilter": false, "severityFilter": ["error", "warning"], "page": 2, "page_size": 50}"#
            ),
            ("page 1,000 of all (deep offset)", #"{"page": 1000, "page_size": 50}"#),
        ]
        for (name, body) in bodies {
            let script = work.appendingPathComponent("list.lua")
            try """
            wrk.method = "PATCH"
            wrk.body = '\(body)'
            wrk.headers["Content-Type"] = "application/json"
            """.write(to: script, atomically: true, encoding: .utf8)
            let result = try WrkResult.run(
                url: "\(host.base)/alerts/", token: host.token, threads: 2, connections: connections, seconds: seconds, script: script.path)
            print(
                String(
                    format: "PATCH /alerts/ %@: %.0f req/s, p50 %@, p99 %@ (target p99 < 20 ms), non-2xx %d", name,
                    result.requestsPerSecond, result.p50, result.p99, result.non2xx))
        }
        host.running.cancel()
        await host.server.shutdown()
    }

    // MARK: helpers

    /// A helper process, stopped by closing its stdin (the fixtures' convention) or SIGTERM.
    final class Helper: @unchecked Sendable {
        let process: Process
        let input: Pipe
        init(process: Process, input: Pipe) {
            self.process = process
            self.input = input
        }

        func stop() {
            try? input.fileHandleForWriting.close()
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    /// A Python fixture that prints READY once it listens.
    static func startPython(_ arguments: [String], what: String) throws -> Helper {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Subprocess.which("python3") ?? "/usr/bin/python3")
        process.arguments = arguments
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("READY") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw BenchError("\(what) did not start (scripts/install-deps.sh installs it)") }
            seen.append(chunk)
        }
        return Helper(process: process, input: input)
    }

    /// nginx answering 200 "ok" to any request on 127.0.0.1:port: a receiver much faster than
    /// the sender, so the figure is the sender's.
    static func startNginx(port: Int) throws -> Helper {
        guard let nginx = Subprocess.which("nginx", extraDirectories: ["/usr/sbin"]) else { throw BenchError("nginx is not installed") }
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("garrison-bench-nginx-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let conf = folder.appendingPathComponent("nginx.conf")
        try """
        daemon off;
        worker_processes 1;
        pid \(folder.path)/nginx.pid;
        error_log \(folder.path)/error.log;
        events { worker_connections 4096; }
        http {
            access_log off;
            client_body_temp_path \(folder.path);
            server {
                listen 127.0.0.1:\(port);
                location / { return 200 "ok"; }
            }
        }
        """.write(to: conf, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: nginx)
        process.arguments = ["-p", folder.path, "-c", conf.path]
        let input = Pipe()
        process.standardInput = input
        try process.run()
        for _ in 0..<100 {
            if Self.listening(port) { return Helper(process: process, input: input) }
            usleep(50_000)
        }
        throw BenchError("nginx did not start: \((try? String(contentsOf: folder.appendingPathComponent("error.log"), encoding: .utf8)) ?? "")")
    }

    static func listening(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    static func ms(_ d: Duration) -> String { String(format: "%.0f ms", seconds(d) * 1000) }
}
