import Foundation
import PluginKit

/// Notifications (Plugins/Alerts/README.md, "Notifications"): the e-mail an alert's raise or
/// resolve calls for is a row in `notifications`, written in the same transaction as the
/// change (raise_alert_notifying / resolve_alert_notifying), then published as alert.notify
/// at least once: right after the write, and by the alert.notify sweep for any row whose
/// publication a stop or an error left unmarked. Each event carries `notification_id`, so a
/// channel that sees one twice sends it once. Publishing only queues the event in this
/// process, so a stop right after the mark would lose it: a channel acknowledges what it
/// kept (a `<plugin>.delivery` report, Deliveries.swift), and the sweep publishes again what
/// no channel acknowledged, 30 s after the last publication, then 60, 120... up to an hour,
/// for a day (a channel whose plugin is not loaded never acknowledges).
extension Alerts {
    struct Notification: Decodable, Sendable {
        let id: Int
        let alert_id: Int
        let kind: String
        let channel: String
        let subject: String
        let body: String
        let alert_type: String
        let severity: String
        let agent_id: String?
        let recipients: JSON?
        let sender: String?
        /// An alert action's what-to-run (channels "webhook" and "script"), and then the alert
        /// as the routes answer it, for the action's {{alert.x}} variables.
        let action: JSON?
        let alert: JSON?
    }

    static let notificationColumns = """
        n.id, n.alert_id, n.kind, n.channel, n.subject, n.body, a.alert_type, a.severity, a.agent_id, n.recipients, n.sender,
        n.action, CASE WHEN n.action IS NOT NULL THEN \(Rendering.alert) END AS alert
        """

    /// Publishes the notifications written just now, then marks them published.
    func publishNotifications(_ ids: [Int]) async {
        guard !ids.isEmpty else { return }
        do {
            let rows: [Notification] = try await host.query(
                "SELECT \(Self.notificationColumns) FROM notifications n JOIN alerts a ON a.id = n.alert_id WHERE n.id = ANY($1::bigint[]) AND n.published_time IS NULL ORDER BY n.id",
                ["{" + ids.map(String.init).joined(separator: ",") + "}"])
            try await publish(rows)
        } catch {
            host.log(.warning, "notifications \(ids): \(error) (the sweep publishes them)")
        }
    }

    /// The alert.notify sweep: publishes what is still unpublished, oldest first (rows younger
    /// than a few seconds are left to the publisher that wrote them), then what no channel
    /// acknowledged once its backoff passed.
    @discardableResult
    func publishPendingNotifications() async throws -> Int {
        let unpublished = try await publishAll(where: "n.published_time IS NULL AND n.created < now() - interval '3 seconds'")
        let unacknowledged = try await publishAll(
            where: """
                n.received_time IS NULL AND n.published_time IS NOT NULL AND n.created > now() - interval '1 day'
                  AND n.published_time < now() - make_interval(secs => least(30 * power(2, least(greatest(n.publishes, 1) - 1, 7)), 3600))
                """)
        return unpublished + unacknowledged
    }

    /// Publishes every notification matching `condition`, 500 at a time in id order.
    private func publishAll(where condition: String) async throws -> Int {
        var total = 0
        var after = 0
        while true {
            let rows: [Notification] = try await host.query(
                """
                SELECT \(Self.notificationColumns) FROM notifications n JOIN alerts a ON a.id = n.alert_id
                WHERE \(condition) AND n.id > $1
                ORDER BY n.id LIMIT 500
                """, [after])
            try await publish(rows)
            total += rows.count
            after = rows.last?.id ?? after
            if rows.count < 500 { return total }
        }
    }

    /// Publish first, mark after: a stop between the two publishes the row again (at least
    /// once); the id lets channels drop the repeat. Marked even when a channel acknowledged it
    /// meanwhile (a fast channel may): the sweep looks at received_time before republishing.
    func publish(_ rows: [Notification]) async throws {
        guard !rows.isEmpty else { return }
        var published: [Int] = []
        for row in rows {
            var payload: JSON = [
                "notification_id": .number(Double(row.id)), "alert_id": .number(Double(row.alert_id)), "kind": .string(row.kind),
                "channel": .string(row.channel), "subject": .string(row.subject), "body": .string(row.body),
                "alert_type": .string(row.alert_type), "severity": .string(row.severity),
                "agent_id": row.agent_id.map(JSON.string) ?? .null,
                // The template's recipients and sender; null: the channel's own.
                "recipients": row.recipients ?? .null, "email_from": row.sender.map(JSON.string) ?? .null,
            ]
            if let action = row.action, case .object(var members) = payload {
                members["action"] = action
                members["alert"] = row.alert ?? .null
                payload = .object(members)
            }
            do {
                try host.publish(event: "alert.notify", json: payload)
                published.append(row.id)
            } catch { host.log(.warning, "publishing alert.notify #\(row.id): \(error)") }
        }
        guard !published.isEmpty else { return }
        try await host.execute(
            "UPDATE notifications SET published_time = now(), publishes = publishes + 1 WHERE id = ANY($1::bigint[])",
            ["{" + published.map(String.init).joined(separator: ",") + "}"])
    }

    /// The e-mail subject and body for a raise or resolve (Tactical RMM's texts, Plugins/Alerts/README.md
    /// "Notifications"): availability "data overdue" / "data received", checks
    /// "<description> Failed" / "Resolved", tasks "<name> Failed" / "Resolved".
    static func mailTexts(_ eventName: String, _ e: JSON, agent: JSON) -> (subject: String, body: String, sms: String)? {
        guard let (subject, body) = mailPair(eventName, e, agent: agent) else { return nil }
        // SMS: the subject; a script check's with its return code; a task's its whole body.
        switch eventName {
        case "scripting.task.failed", "scripting.task.resolved": return (subject, body, body)
        case "check.failed" where e["check_type"]?.stringValue == "script":
            return (subject, body, "\(subject) - Return code: \(e["retcode"]?.intValue.map(String.init) ?? "")")
        default: return (subject, body, subject)
        }
    }

    static func mailPair(_ eventName: String, _ e: JSON, agent: JSON) -> (subject: String, body: String)? {
        let (hostname, client, site) = names(agent)
        let prefix = "\(client), \(site), \(hostname)"
        switch eventName {
        case "agent.offline", "agent.overdue":
            return (
                "\(prefix) - data overdue",
                "Data has not been received from client \(client), site \(site), agent \(hostname) within the expected time."
            )
        case "agent.online":
            return (
                "\(prefix) - data received",
                "Data has been received from client \(client), site \(site), agent \(hostname) after an interruption in data transmission."
            )
        case "check.failed":
            let description = e["readable_desc"]?.stringValue ?? e["check_name"]?.stringValue ?? ""
            let subject = "\(prefix) - \(description) Failed"
            let output = e["output"]?.stringValue ?? ""
            let body: String
            switch e["check_type"]?.stringValue ?? "" {
            case "script":
                let retcode = e["retcode"]?.intValue.map(String.init) ?? ""
                body =
                    "\(subject) - Return code: \(retcode)\nStdout:\(e["stdout"]?.stringValue ?? output)\nStderr: \(e["stderr"]?.stringValue ?? "")"
            case "ping":
                body = output.isEmpty ? subject : output
            case "winsvc":
                body = "\(subject) - Status: \(output)"
            default:
                body = output.isEmpty ? subject : "\(subject) - \(output)"
            }
            return (subject, body)
        case "check.resolved":
            let description = e["readable_desc"]?.stringValue ?? e["check_name"]?.stringValue ?? ""
            return ("\(prefix) - \(description) Resolved", "\(prefix) - \(description) is now back to normal")
        case "scripting.task.failed", "scripting.task.resolved":
            let subject = "\(prefix) - \(e["name"]?.stringValue ?? "") " + (eventName.hasSuffix("failed") ? "Failed" : "Resolved")
            let retcode = e["retcode"]?.intValue.map(String.init) ?? ""
            return (
                subject,
                "\(subject) - Return code: \(retcode)\nStdout:\(e["stdout"]?.stringValue ?? "")\nStderr: \(e["stderr"]?.stringValue ?? "")"
            )
        default:
            return nil
        }
    }

    /// urlaction.alert_action.result (from the channel that ran a failure or resolved action: a URL
    /// action's answer, a script's output): recorded on the alert as Tactical RMM's
    /// action_run / action_stdout / action_stderr / action_retcode / action_execution_time,
    /// or their resolved_action_* twins. A repeat writes the same values again.
    func actionResult(_ event: PluginEvent) async {
        let e = event.json
        guard let alert = e["alert_id"]?.intValue else { return }
        let prefix = e["kind"]?.stringValue == "resolved" ? "resolved_action" : "action"
        let retcode = e["retcode"]?.intValue ?? 0
        do {
            try await host.execute(
                """
                UPDATE alerts SET \(prefix)_run = now(), \(prefix)_stdout = $2, \(prefix)_stderr = $3,
                    \(prefix)_retcode = $4::bigint, \(prefix)_execution_time = $5
                WHERE id = $1
                """,
                [
                    alert, e["stdout"]?.stringValue ?? "", e["stderr"]?.stringValue ?? "", retcode,
                    e["execution_time"]?.stringValue ?? "0.0000",
                ])
        } catch { host.log(.warning, "recording the action result of alert #\(alert): \(error)") }
    }
}
