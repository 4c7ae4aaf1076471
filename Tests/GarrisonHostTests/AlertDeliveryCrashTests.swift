import Foundation
import Testing
@testable import GarrisonHost

/// `kill -9` of the host while alert notifications are being delivered: `garrison serve` with
/// the checks, alerts, e-mail and URL actions plugins; failing checks raise alerts whose
/// e-mails go to a slow aiosmtpd (each 250 comes 0.3 s after the message is kept) and whose
/// webhooks first meet a receiver answering 503 (retried with backoff). The host is killed
/// once some e-mails are in; `garrison serve` again on the same folder delivers every
/// notification, and a notification is received twice only where the channels' READMEs say
/// it can be: it was not yet marked sent when the host died (e-mail: the one message in
/// flight, each sender sending one at a time). Nothing marked sent before the kill is sent again.
@Suite(.serialized) struct AlertDeliveryCrashTests {
    static let checks = 12

    @Test func undeliveredNotificationsOfAKilledHostAreDeliveredAfterRestart_noneMarkedSentTwice() async throws {
        let folder = try CrashRestartTests.temporaryFolder("alertcrash")
        let plugins = try Self.plugins()
        defer {
            plugins.cleanUp()
            try? FileManager.default.removeItem(at: folder)
        }
        let smtp = try PluginsAlertEmailTests.SMTPServer(port: FreePort.find(), password: "s3cret", dataDelay: 0.3)
        try await smtp.start()
        defer { smtp.stop() }
        let receiver = try PluginsURLActionsTests.Receiver()
        try await receiver.start()
        defer { receiver.stop() }
        try receiver.force(Array(repeating: 503, count: Self.checks))

        let pluginsD = folder.appendingPathComponent("plugins.d")
        try FileManager.default.createDirectory(at: pluginsD, withIntermediateDirectories: true)
        chmod(pluginsD.path, 0o755)
        for file in try FileManager.default.contentsOfDirectory(atPath: plugins.url.path) where file.hasSuffix(".toml") {
            var text = try String(contentsOf: plugins.url.appendingPathComponent(file), encoding: .utf8)
            text = text.replacingOccurrences(of: "@SMTP_PORT@", with: String(smtp.port))
            let toml = pluginsD.appendingPathComponent(file)
            try text.write(to: toml, atomically: true, encoding: .utf8)
            chmod(toml.path, 0o644)
        }
        let port = FreePort.find()
        let fixture = CrashFixture(
            folder: folder, host: ServeProcess(folder: folder, port: port), http: HTTP(base: "http://127.0.0.1:\(port)"),
            natsPort: FreePort.find())
        try "[nats]\nport = \(fixture.natsPort)\n".write(
            to: folder.appendingPathComponent("garrison.toml"), atomically: true, encoding: .utf8)

        let first = try fixture.host.start()
        var stopFirst = true
        defer { if stopFirst { fixture.host.stop(first) } }
        try await fixture.host.awaitStatus200(timeout: .seconds(90))
        let (admin, agents) = try await fixture.enroll(1)
        let agent = try #require(agents.first)
        try await Self.webhookTemplate(fixture, admin: admin, port: receiver.port)
        var ids: [Int] = []
        for n in 1...Self.checks {
            let created = try await fixture.http.call(
                "POST", "/checks/", token: admin,
                json: [
                    "agent": .string(agent.id), "check_type": "ping", "name": .string("gateway \(n)"), "ip": "10.0.0.1",
                    "fails_b4_alert": 1, "email_alert": true, "alert_severity": "error",
                ])
            #expect(created.status == 200, "\(created.text)")
        }
        let list = try await fixture.http.call("GET", "/agents/\(agent.id)/checks/", token: admin)
        ids = list.json.arrayValue?.filter { $0["check_type"] == "ping" }.compactMap { $0["id"]?.intValue } ?? []
        #expect(ids.count == Self.checks, "\(list.text)")
        for id in ids {
            let reply = try await fixture.http.call(
                "PATCH", "/api/v3/checkrunner/", token: agent.token,
                json: ["id": .init(id), "agent_id": .string(agent.id), "status": "failing", "output": "100% packet loss"])
            #expect(reply.status == 200, "\(reply.text)")
        }

        // Killed while e-mails are going out one by one and webhooks wait for their retry.
        try await eventually("the first e-mails received", timeout: .seconds(60)) { try smtp.messages().count >= 2 }
        kill(first.pid, SIGKILL)
        let killedAt = Date()
        #expect(first.exit.wait(timeout: 10))
        stopFirst = false
        let mailedBeforeKill = try smtp.messages().count

        let second = try fixture.host.start()
        defer { fixture.host.stop(second) }
        try await fixture.host.awaitStatus200(timeout: .seconds(90))
        // Rows claimed by the dead host wait out their lease (timeout × 2 + 30 s) first.
        try await Self.explainingTimeout(fixture) {
            try await eventually("every e-mail and webhook marked sent after the restart", timeout: .seconds(150)) {
                let open = try fixture.psql(
                    """
                    SELECT (SELECT count(*) FROM plugin_alert_email.messages WHERE sent_time IS NULL)
                         + (SELECT count(*) FROM plugin_urlaction.deliveries WHERE sent_time IS NULL)
                         + greatest(0, \(Self.checks) - (SELECT count(*) FROM plugin_alert_email.messages))
                         + greatest(0, \(Self.checks) - (SELECT count(*) FROM plugin_urlaction.deliveries))
                    """)
                return open == ["0"]
            }
        }

        // E-mail: every notification arrived; a second copy only of one not marked sent
        // before the kill, and at most the ones in flight.
        let mails = try smtp.messages().compactMap { $0.headers["Message-ID"] }
        let mailCopies = Dictionary(grouping: mails, by: { $0 }).mapValues(\.count)
        #expect(mailCopies.count == Self.checks, "distinct e-mails: \(mailCopies)")
        let sentBefore = Set(
            try Self.markedBefore(killedAt, fixture, table: "plugin_alert_email.messages").map { "<alert-notification-\($0)@example.com>" })
        let twice = mailCopies.filter { $0.value > 1 }
        #expect(twice.keys.allSatisfy { !sentBefore.contains($0) }, "re-sent although marked sent before the kill: \(twice)")
        // One message in flight per sender: the one kicked by new notifications and the
        // send job's sweep may both be sending.
        #expect(twice.count <= 2 && twice.values.allSatisfy { $0 == 2 }, "e-mail duplicates: \(twice)")

        // Webhooks: every notification answered 200 once; all were still waiting for their
        // retry at the kill, so none may come twice.
        let keys = try receiver.requests().compactMap { $0["headers"]?["idempotency-key"]?.stringValue }
        let hookCopies = Dictionary(grouping: keys, by: { $0 }).mapValues(\.count)
        #expect(hookCopies.count == Self.checks, "distinct webhooks: \(hookCopies)")
        let hooksSentBefore = try Self.markedBefore(killedAt, fixture, table: "plugin_urlaction.deliveries")
        let hookTwice = hookCopies.filter { $0.value > 1 }
        #expect(
            hookTwice.keys.allSatisfy { key in !hooksSentBefore.contains { key == "garrison-alert-notification-\($0)" } },
            "webhooks re-sent although marked sent before the kill: \(hookTwice)")
        print(
            "AlertDeliveryCrashTests: \(mailedBeforeKill) e-mails in before the kill (\(sentBefore.count) marked), "
                + "\(hooksSentBefore.count) webhooks marked before it; after the restart \(mails.count) e-mails for \(mailCopies.count) "
                + "notifications, \(keys.count) webhooks for \(hookCopies.count)")
    }

    /// Runs `body`; when it throws, the unsent rows of both channels (and the alerts' own
    /// notifications) go to the log first, so a timeout says which row was stuck and why.
    static func explainingTimeout(_ fixture: CrashFixture, _ body: () async throws -> Void) async throws {
        do { try await body() } catch {
            for (name, sql) in [
                (
                    "e-mail",
                    "SELECT notification_id, attempts, gave_up, round(extract(epoch FROM next_attempt - now())), last_error FROM plugin_alert_email.messages WHERE sent_time IS NULL"
                ),
                (
                    "webhook",
                    "SELECT notification_id, attempts, gave_up, round(extract(epoch FROM next_attempt - now())), last_error FROM plugin_urlaction.deliveries WHERE sent_time IS NULL"
                ),
                (
                    "count",
                    """
                    SELECT 'alerts ' || (SELECT count(*) FROM plugin_alert.alerts) || ', notifications ' || (SELECT count(*) FROM plugin_alert.notifications)
                        || ' (' || (SELECT count(*) FROM plugin_alert.notifications WHERE received_time IS NULL) || ' unacknowledged), e-mails '
                        || (SELECT count(*) FROM plugin_alert_email.messages) || ', webhooks ' || (SELECT count(*) FROM plugin_urlaction.deliveries)
                    """
                ),
            ] {
                print(
                    "AlertDeliveryCrashTests: unsent \(name) rows (notification, attempts, gave up, due in s, error): \((try? fixture.psql(sql)) ?? [])"
                )
            }
            throw error
        }
    }

    /// The notification ids of `table`'s rows marked sent before `instant`.
    static func markedBefore(_ instant: Date, _ fixture: CrashFixture, table: String) throws -> [String] {
        try fixture.psql("SELECT notification_id FROM \(table) WHERE sent_time < to_timestamp(\(instant.timeIntervalSince1970))")
    }

    /// The checks and alerts plugins (alert.notify sweep every second), e-mail to aiosmtpd at
    /// @SMTP_PORT@ (filled in later), URL actions retrying 503s after 5 s.
    static func plugins() throws -> PluginFolder {
        let folder = try PluginsAlertsTests.folder(settings: "notify_sweep_seconds = 1")
        let email = try folder.copyBuilt("libAlertEmailPlugin.so")
        try folder.write(
            "61-alert-email.toml",
            """
            library = "\(email)"
            enabled = true
            required = true

            [settings]
            smtp_host = "127.0.0.1"
            smtp_port = @SMTP_PORT@
            tls = "none"
            from = "garrison@example.com"
            username = "alerts"
            password = "s3cret"
            auth = "plain"
            recipients = "ops@example.com"
            timeout_seconds = 2
            backoff_seconds = 1
            backoff_max_seconds = 2
            send_sweep_seconds = 1

            """)
        let hooks = try folder.copyBuilt("libURLActionsPlugin.so")
        try folder.write(
            "63-urlactions.toml",
            """
            library = "\(hooks)"
            enabled = true
            required = true

            [settings]
            timeout_seconds = 2
            backoff_seconds = 5
            backoff_max_seconds = 5
            send_sweep_seconds = 1
            allowed_hosts = "127.0.0.1"

            """)
        return folder
    }

    /// A rest URL action to the receiver as the global default template's failure action.
    static func webhookTemplate(_ fixture: CrashFixture, admin: String, port: Int) async throws {
        let added = try await fixture.http.call(
            "POST", "/core/urlaction/", token: admin,
            json: [
                "name": "chat", "action_type": "rest", "rest_method": "post", "pattern": .string("http://127.0.0.1:\(port)/hook"),
                "rest_body": "{\"text\": \"{{alert.message}}\"}", "rest_headers": "{\"Content-Type\": \"application/json\"}",
            ])
        guard added.status == 200 else { throw TestFailure("url action: \(added.text)") }
        let actions = try await fixture.http.call("GET", "/core/urlaction/", token: admin)
        guard let hook = actions.json.arrayValue?.first?["id"]?.intValue else { throw TestFailure("url actions: \(actions.text)") }
        let created = try await fixture.http.call(
            "POST", "/alerts/templates/", token: admin,
            json: ["name": "hooks", "check_always_alert": true, "action_type": "rest", "action_rest": .init(hook)])
        guard created.status == 200 else { throw TestFailure("template: \(created.text)") }
        let templates = try await fixture.http.call("GET", "/alerts/templates/", token: admin)
        guard let template = templates.json.arrayValue?.first?["id"]?.intValue else { throw TestFailure("templates: \(templates.text)") }
        let assigned = try await fixture.http.call("PUT", "/alerts/assignments/", token: admin, json: ["default": .init(template)])
        guard assigned.status == 200 else { throw TestFailure("assign: \(assigned.text)") }
    }
}
