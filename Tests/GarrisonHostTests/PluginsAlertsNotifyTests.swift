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
            let rows = try await w.pool.query(
                "SELECT kind, published_time IS NOT NULL AS published FROM plugin_alert.notifications ORDER BY id"
            ).rows
            #expect(rows.map { $0.string("kind") } == ["raised", "resolved"] && rows.allSatisfy { $0.bool("published") })
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
        }
    }
}
