import Foundation
import PluginKit

/// alert -- Tactical RMM's alerts (docs in Plugins/Alerts/README.md): Alert rows raised and
/// resolved from the events other parts already publish, and the operator routes that list,
/// snooze and resolve them.
///
/// Events handled:
///   check.failed / check.resolved      (checks plugin, from its outbox: carry event_id and the check's alert flags)
///   agent.offline / agent.overdue      (host: availability alert, if the agent asks for overdue alerts)
///   agent.online                       (host: resolves the availability alert)
///   scripting.task.failed / .resolved  (scripting plugin: a task's run failing / passing again)
///   agent.deleted                      (the agent's alerts go with it)
/// Job alert.unsnooze, hourly at :10: snoozes whose time has passed end.
/// Job alert.notify (every notify_sweep_seconds): publishes alert.notify for notifications
/// still unpublished (Notifying.swift).
/// Nothing is raised or resolved while the agent is in maintenance mode.
///
/// Operator routes (Tactical RMM's paths and JSON):
///   PATCH  /alerts/             [can_list_alerts]   {"top": N} or the filtered, paged query
///   GET    /alerts/<pk>/        [can_list_alerts]
///   PUT    /alerts/<pk>/        [can_manage_alerts] {"type": "resolve" | "snooze" | "unsnooze"} or fields
///   DELETE /alerts/<pk>/        [can_manage_alerts]
///   POST   /alerts/bulk/        [can_manage_alerts] {"bulk_action", "alerts", "snooze_days"}
///
/// Every change of an alert is a row in `changes` naming its cause, and is published as
/// alert.raised / alert.updated / alert.resolved / alert.snoozed / alert.unsnoozed /
/// alert.edited with the alert's and the change's ids, for notification channels.
final class Alerts: GarrisonPlugin {
    static let name: StaticString = "alert"
    static let version: StaticString = "0.1.0"
    static let minHostMinor: UInt16 = 1

    let host: PluginHost
    let settings: Settings

    init(host: PluginHost) throws {
        self.host = host
        self.settings = try host.settings(Settings.self)
    }

    func register(_ r: Registrar) throws {
        try r.migration(version: 1, sql: Schema.v1)
        try r.migration(version: 2, sql: Schema.v2)
        try r.migration(version: 3, sql: Schema.v3)
        try r.migration(version: 4, sql: Schema.v4)
        try r.migration(version: 5, sql: Schema.v5)
        try r.migration(version: 6, sql: Schema.v6)
        try r.migration(version: 7, sql: Schema.v7)
        try r.migration(version: 8, sql: Schema.v8)
        try registerRoutes(r)
        try registerTemplateRoutes(r)
        try r.subscribe("check.failed") { event in await self.handle(event) }
        try r.subscribe("check.resolved") { event in await self.handle(event) }
        try r.subscribe("agent.offline") { event in await self.handle(event) }
        try r.subscribe("agent.overdue") { event in await self.handle(event) }
        try r.subscribe("agent.online") { event in await self.handle(event) }
        try r.subscribe("scripting.task.failed") { event in await self.handle(event) }
        try r.subscribe("scripting.task.resolved") { event in await self.handle(event) }
        try r.subscribe("agent.deleted") { event in await self.agentDeleted(event) }
        // An action's outcome, from the plugin that ran it (each publishes in its own namespace).
        try r.subscribe("urlaction.alert_action.result") { event in await self.actionResult(event) }
        try r.subscribe("scripting.alert_action.result") { event in await self.actionResult(event) }
        // How each notification's delivery goes, from the shipped channels.
        for channel in Self.deliveryReporters { try r.subscribe("\(channel).delivery") { event in await self.deliveryReported(event) } }
        try r.jobKind("alert.notify") { _ in ["published": .number(Double(try await self.publishPendingNotifications()))] }
        try r.jobKind("alert.renotify") { _ in ["notified": .number(Double(try await self.renotify()))] }
        try r.jobKind("alert.unsnooze") { _ in ["unsnoozed": .number(Double(try await self.unsnoozePassed()))] }
        // Schedules live in the database; creating them needs the plugin running.
        try r.subscribe("core.started") { _ in await self.ensureSchedules() }
        Task { await self.ensureSchedules() }
    }

    /// Tactical RMM's hourly job at :10 that ends the snoozes whose time has passed.
    func ensureSchedules() async {
        // Retried for a few seconds: this runs while the host is still starting the plugin.
        for attempt in 1...50 {
            do {
                _ = try await host.upsertSchedule(
                    ["id": JSON.string("alert-unsnooze"), "kind": "alert.unsnooze", "cron": "10 * * * *"] as JSON)
                _ = try await host.upsertSchedule(
                    ["id": JSON.string("alert-renotify"), "kind": "alert.renotify", "every_s": .number(Double(settings.renotifySweepSeconds))]
                        as JSON)
                _ = try await host.upsertSchedule(
                    ["id": JSON.string("alert-notify"), "kind": "alert.notify", "every_s": .number(Double(settings.notifySweepSeconds))]
                        as JSON)
                return
            } catch {
                if attempt == 50 { host.log(.warning, "schedules: \(error)"); return }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Tactical RMM's periodic re-notification: the failure notices of open, unsnoozed alerts
    /// whose template asks for them every N days (renotify_due), published as alert.notify.
    func renotify() async throws -> Int {
        let ids = try await host.queryRows("SELECT notification_id FROM renotify_due()").compactMap { $0["notification_id"]?.intValue }
        await publishNotifications(ids)
        return ids.count
    }

    /// Unsnoozes the alerts whose snooze_until has passed; returns how many.
    func unsnoozePassed() async throws -> Int {
        let rows = try await host.queryRows(
            """
            WITH u AS (UPDATE alerts SET snoozed = false, snooze_until = NULL WHERE snoozed AND snooze_until <= now() RETURNING id, severity)
            INSERT INTO changes (alert_id, change, cause, severity) SELECT id, 'unsnoozed', 'alert.unsnooze', severity FROM u
            RETURNING alert_id, id AS change_id, change AS change_kind
            """)
        for row in rows { announce(row, agentID: nil) }
        return rows.count
    }

    func handle(_ event: PluginEvent) async {
        let received = Date()
        do { try await apply(event, received: received) } catch {
            host.log(.warning, "\(event.name) \(event.json["agent_id"]?.stringValue ?? "?"): \(error)")
        }
    }

    func agentDeleted(_ event: PluginEvent) async {
        guard let agentID = event.json["agent_id"]?.stringValue else { return }
        do {
            try await host.execute(
                """
                WITH s AS (DELETE FROM subject_events WHERE split_part(subject, ':', 2) = $1)
                DELETE FROM alerts WHERE agent_id = $1
                """, [agentID])
        } catch { host.log(.warning, "dropping alerts of deleted agent \(agentID): \(error)") }
    }
}

extension PluginRequest {
    /// The operator's name, for audit and the changes table.
    var username: String { principal["username"]?.stringValue ?? "" }
}
