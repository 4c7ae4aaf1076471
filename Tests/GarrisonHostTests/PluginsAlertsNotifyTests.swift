import Foundation
import Testing
@testable import GarrisonHost

/// The alerts plugin's notifications (Plugins/Alerts/README.md, "Notifications"): the e-mail
/// a raise or resolve calls for is written with the change and published as alert.notify,
/// with Tactical RMM's subject and body and a notification id.
@Suite struct PluginsAlertsNotifyTests {
    @Test func emailAlert_writesOneNotificationPerRaiseAndResolve_andPublishesItWithItsId() async throws {
        try await PluginsAlertsTests.with(settings: "check_email_on_resolved = true\nnotify_sweep_seconds = 1") { w in
            let id = try await w.check([
                "check_type": "ping", "name": "gateway", "ip": "10.0.0.1", "fails_b4_alert": 2, "email_alert": true,
                "alert_severity": "error",
            ])
            // A check without email_alert writes no notification.
            let quiet = try await w.check(["check_type": "ping", "ip": "10.0.0.9", "fails_b4_alert": 1, "dashboard_alert": true])
            try await w.submit(quiet, failing: true)
            try await w.submit(id, failing: true)
            try await w.submit(id, failing: true)
            #expect(try await w.host.eventually(10) { w.events.named("alert.notify").count == 1 })
            let raised = try #require(w.events.named("alert.notify").first)
            #expect(raised["kind"] == "raised" && raised["channel"] == "email" && raised["notification_id"]?.intValue != nil)
            #expect(raised["subject"] == "Alerts Co, HQ, web-1 - Ping gateway Failed", "\(raised)")
            #expect(raised["body"] == "100% packet loss", "\(raised)")
            // More failures: the alert stays open, no second mail.
            try await w.submit(id, failing: true)
            try await w.submit(id, failing: false)
            #expect(try await w.host.eventually(10) { w.events.named("alert.notify").count == 2 })
            let resolved = try #require(w.events.named("alert.notify").last)
            #expect(resolved["kind"] == "resolved" && resolved["alert_id"] == raised["alert_id"])
            #expect(resolved["subject"] == "Alerts Co, HQ, web-1 - Ping gateway Resolved", "\(resolved)")
            #expect(resolved["body"] == "Alerts Co, HQ, web-1 - Ping gateway is now back to normal", "\(resolved)")
            // Marked published right after the publish the test has just seen.
            #expect(
                try await w.host.eventually {
                    let rows = try await w.pool.query(
                        "SELECT kind, published_time IS NOT NULL AS published FROM plugin_alert.notifications ORDER BY id"
                    ).rows
                    return rows.map { $0.string("kind") } == ["raised", "resolved"] && rows.allSatisfy { $0.bool("published") }
                })
            let alert = try await w.pool.query(
                "SELECT email_sent IS NOT NULL AS e, resolved_email_sent IS NOT NULL AS r FROM plugin_alert.alerts WHERE assigned_check = $1",
                [String(id)])
            #expect(alert.first.map { $0.bool("e") && $0.bool("r") } == true)

            // A notification whose publication was lost (unmarked) goes out again from the
            // sweep, with the same id.
            try await w.pool.query("UPDATE plugin_alert.notifications SET published_time = NULL, created = now() - interval '1 minute'")
            // The sweep job (every second here) runs on the host's scheduler.
            let scheduler = w.host.server.scheduler
            let running = Task { try await scheduler.run() }
            defer { running.cancel() }
            #expect(try await w.host.eventually(15) { w.events.named("alert.notify").count >= 4 })
            let ids = Set(w.events.named("alert.notify").compactMap { $0["notification_id"]?.intValue })
            #expect(ids.count == 2)
            try await Self.unacknowledgedAreRepublishedUntilAChannelAcknowledges(w, ids: ids)
        }
    }

    /// Published, but no channel acknowledged (the event died with the process, or no channel
    /// plugin runs here): published again 30 s after the last publication, then 60 s, ...; a
    /// channel's `received` report ends it. "Not published" is checked after two more runs
    /// of the sweep, not after a sleep.
    static func unacknowledgedAreRepublishedUntilAChannelAcknowledges(_ w: PluginsAlertsTests.World, ids: Set<Int>) async throws {
        @Sendable func published() -> Int { w.events.named("alert.notify").count }
        @Sendable func sweeps() async throws -> Int {
            try await w.pool.query("SELECT count(*) AS n FROM job_runs WHERE schedule_id = 'alert:alert-notify' AND state = 'succeeded'")
                .first?.int("n") ?? 0
        }
        func twoMoreSweeps() async throws {
            let now = try await sweeps()
            #expect(try await w.host.eventually(15) { try await sweeps() >= now + 2 })
        }
        // The second try waits 60 s: 40 s after it, nothing.
        try await w.pool.query("UPDATE plugin_alert.notifications SET published_time = now() - interval '40 seconds', publishes = 2")
        let early = published()
        try await twoMoreSweeps()
        #expect(published() == early, "published again before its 60 s")
        try await w.pool.query("UPDATE plugin_alert.notifications SET published_time = now() - interval '61 seconds'")
        #expect(try await w.host.eventually(15) { published() >= early + 2 })
        // Marked after the publish the test has just seen.
        #expect(
            try await w.host.eventually(10) {
                try await w.pool.query("SELECT publishes FROM plugin_alert.notifications").rows.map { $0.int("publishes") } == [3, 3]
            })

        // Acknowledged: never again, however long ago the last publication.
        for id in ids {
            w.host.server.context.events.publish(
                "alert_email.delivery", ["notification_id": .number(Double(id)), "channel": "email", "state": "received", "attempts": 0])
        }
        #expect(
            try await w.host.eventually {
                try await w.pool.query("SELECT count(*) AS n FROM plugin_alert.notifications WHERE received_time IS NULL").first?.int("n") == 0
            })
        try await w.pool.query("UPDATE plugin_alert.notifications SET published_time = now() - interval '2 hours'")
        let acknowledged = published()
        try await twoMoreSweeps()
        #expect(published() == acknowledged, "published again although acknowledged")
        // The alert shows it as kept by the channel, not tried yet.
        let states = try await w.pool.query(
            "SELECT count(*) AS n FROM plugin_alert.notifications n LEFT JOIN plugin_alert.deliveries d ON d.notification_id = n.id WHERE d.state IS NULL"
        ).first?.int("n")
        #expect(states == 2, "a received report writes no delivery row")
    }

    /// Availability: no mail at offline (Garrison raises early; Tactical RMM mails at
    /// overdue), "data overdue" at overdue, "data received" when the agent is back.
    @Test func overdueEmailAlert_mailsAtOverdue_andWhenTheAgentIsBack() async throws {
        try await PluginsAlertsTests.with { w in
            try await w.edit(["overdue_email_alert": true])
            try await w.lastSeen(w.agentID, minutesAgo: 10)
            #expect(try await w.host.eventually { try await w.availability(w.agentID).count == 1 })
            try await w.lastSeen(w.agentID, minutesAgo: 120)
            #expect(try await w.host.eventually(10) { w.events.named("alert.notify").count == 1 })
            let overdue = try #require(w.events.named("alert.notify").first)
            #expect(w.events.named("alert.raised").count == 1, "the offline raise sent no mail")
            #expect(overdue["kind"] == "raised" && overdue["alert_type"] == "availability")
            #expect(overdue["subject"] == "Alerts Co, HQ, web-1 - data overdue", "\(overdue)")
            #expect(
                overdue["body"] == "Data has not been received from client Alerts Co, site HQ, agent web-1 within the expected time.",
                "\(overdue)")
            try await w.comesBack(w.agentID)
            #expect(try await w.host.eventually(10) { w.events.named("alert.notify").count == 2 })
            let back = try #require(w.events.named("alert.notify").last)
            #expect(back["kind"] == "resolved" && back["subject"] == "Alerts Co, HQ, web-1 - data received", "\(back)")
            #expect(
                back["body"]
                    == "Data has been received from client Alerts Co, site HQ, agent web-1 after an interruption in data transmission.",
                "\(back)")
        }
    }

    /// Tactical RMM's gates: info alerts are not mailed unless notify_on_info_alerts; without
    /// check_email_on_resolved a check's resolve is not mailed.
    @Test func infoAlerts_andCheckResolves_areNotMailedByDefault() async throws {
        try await PluginsAlertsTests.with { w in
            let info = try await w.check([
                "check_type": "ping", "ip": "10.0.0.5", "fails_b4_alert": 1, "email_alert": true, "alert_severity": "info",
            ])
            let error = try await w.check([
                "check_type": "ping", "ip": "10.0.0.6", "fails_b4_alert": 1, "email_alert": true, "alert_severity": "error",
            ])
            try await w.submit(info, failing: true)
            #expect(try await w.host.eventually { try await w.alerts(check: info).count == 1 })
            try await w.submit(error, failing: true)
            #expect(try await w.host.eventually(10) { w.events.named("alert.notify").count == 1 })
            try await w.submit(error, failing: false)
            #expect(try await w.host.eventually { try await w.alerts(check: error).first?["resolved"] == true })
            // The resolve and the info raise wrote nothing to publish.
            #expect(
                try await w.pool.query("SELECT count(*) AS n FROM plugin_alert.notifications").first?.int("n") == 1)
            let mailed = try await w.alerts(check: error).first?["id"]
            #expect(mailed != nil && w.events.named("alert.notify").first?["alert_id"] == mailed)
        }
    }

    /// A task's mail: subject "<client>, <site>, <hostname> - <task> Failed", the body the
    /// subject with the return code, stdout and stderr of the run.
    @Test func failingTaskWithEmailAlert_mailsItsRun() async throws {
        try await PluginsAlertsTests.with(scripting: true, settings: "task_email_on_resolved = true") { w in
            let created = try await w.host.request(
                .post, "/tasks/", as: .token(w.admin),
                json: [
                    "agent_id": .string(w.agentID), "name": "Backup", "task_type": "manual", "email_alert": true, "alert_severity": "error",
                    "actions": [["type": "cmd", "command": "backup", "shell": "/bin/bash", "timeout": 15]],
                ])
            let task = try #require(created.json["id"]?.intValue, "\(created.status) \(created.text)")
            func report(_ retcode: Int) async throws {
                let reply = try await w.host.request(
                    .patch, "/api/v3/\(task)/\(w.agentID)/taskrunner/", as: .token(w.agentToken),
                    json: [
                        "stdout": retcode == 0 ? "done" : "copying", "stderr": retcode == 0 ? "" : "disk full", "retcode": .init(retcode),
                        "execution_time": 0.5,
                    ])
                #expect(reply.status == 200, "\(reply.text)")
            }
            try await report(1)
            #expect(try await w.host.eventually(10) { w.events.named("alert.notify").count == 1 })
            let failed = try #require(w.events.named("alert.notify").first)
            #expect(failed["subject"] == "Alerts Co, HQ, web-1 - Backup Failed", "\(failed)")
            #expect(
                failed["body"] == "Alerts Co, HQ, web-1 - Backup Failed - Return code: 1\nStdout:copying\nStderr: disk full", "\(failed)")
            try await report(0)
            #expect(try await w.host.eventually(10) { w.events.named("alert.notify").count == 2 })
            let resolved = try #require(w.events.named("alert.notify").last)
            #expect(resolved["subject"] == "Alerts Co, HQ, web-1 - Backup Resolved", "\(resolved)")
            #expect(resolved["body"] == "Alerts Co, HQ, web-1 - Backup Resolved - Return code: 0\nStdout:done\nStderr: ", "\(resolved)")
        }
    }

    /// A script check's mail: the subject, then the return code and both streams.
    @Test func failingScriptCheck_mailsItsReturnCodeAndStreams() async throws {
        try await PluginsAlertsTests.with { w in
            let id = try await w.check([
                "check_type": "script", "script": ["name": "probe", "code": "#!/bin/sh\nexit $1", "shell": "shell"],
                "warning_return_codes": [4], "timeout": 30, "fails_b4_alert": 1, "email_alert": true,
            ])
            let reply = try await w.host.request(
                .patch, "/api/v3/checkrunner/", as: .token(w.agentToken),
                json: ["id": .init(id), "agent_id": .string(w.agentID), "stdout": "bad", "stderr": "worse", "retcode": 4, "runtime": 0.5])
            #expect(reply.status == 200, "\(reply.text)")
            #expect(try await w.host.eventually(10) { w.events.named("alert.notify").count == 1 })
            let mail = try #require(w.events.named("alert.notify").first)
            let subject = try #require(mail["subject"]?.stringValue)
            #expect(subject.hasPrefix("Alerts Co, HQ, web-1 - ") && subject.hasSuffix(" Failed"), "\(mail)")
            #expect(mail["body"]?.stringValue == subject + " - Return code: 4\nStdout:bad\nStderr: worse", "\(mail)")
            #expect(mail["severity"] == "warning")
        }
    }
}
