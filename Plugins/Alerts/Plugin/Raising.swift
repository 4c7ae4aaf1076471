import Foundation
import PluginKit

/// Events into alerts, as Tactical RMM's failure and resolve handling decide (the
/// availability, check and task rules of its alert model):
///
/// - A subject (an agent's availability, a check on an agent) has at most one open alert.
/// - It is created only when the subject asks for alerts: a check's dashboard_alert,
///   email_alert or text_alert; an agent's overdue_dashboard_alert, overdue_email_alert or
///   overdue_text_alert. Otherwise an open alert is only kept up to date.
/// - It is shown on the dashboard (hidden = false) only when the dashboard flag is set.
/// - A check alert is raised when the check's failures reach fails_b4_alert: the checks
///   plugin raises check.failed exactly then, with fail_count and the flags.
/// - A task alert is raised when a task's run fails after passing (scripting.task.failed, with
///   the task's flags and alert_severity) and resolved by its next passing run.
/// - Availability: agent.offline or agent.overdue raises (severity error), agent.online
///   resolves. Tactical RMM raises on overdue only; Garrison also on offline, so an agent that
///   stops is reported after its offline time (its overdue time still updates the message).
/// - Nothing happens while the agent is in maintenance mode.
extension Alerts {
    /// What one event asks of the alerts.
    enum Step {
        case raise(
            subject: String, type: String, create: Bool, check: Int?, task: Int?, severity: String, message: String,
            hidden: Bool, wantsEmail: Bool, wantsText: Bool)
        case resolve(subject: String)
    }

    func apply(_ event: PluginEvent, received: Date = Date()) async throws {
        let e = event.json
        guard let agentID = e["agent_id"]?.stringValue, !agentID.isEmpty else { return }
        // The agent as it is now: maintenance mode, alert flags, names.
        let agent: JSON
        do { agent = try await host.coreObject(kind: .agentBrief, id: agentID) } catch let error as PluginError
            where error.status == .notFound
        {
            return
        }
        if agent["maintenance_mode"]?.boolValue == true { return }
        guard let step = Self.step(event.name, e, agent: agent) else { return }

        // The order events were raised in: the checks outbox id, or (host events, which carry
        // no id) the time this one arrived. Host events of one agent come minutes apart (its
        // offline and overdue times), so arrival order is their order.
        let eventID = e["event_id"]?.intValue
        let seq = eventID ?? Int(received.timeIntervalSince1970 * 1_000_000)
        let mail = Self.mailTexts(event.name, e, agent: agent)
        let rows: [JSON]
        switch step {
        case let .raise(subject, type, create, check, task, severity, message, hidden, wantsEmail, wantsText):
            let names = Self.names(agent)
            // E-mail on failure: the subject's flag; an availability alert only once overdue, as
            // Tactical RMM (Garrison raises it already at offline).
            let email = wantsEmail && (type != "availability" || event.name == "agent.overdue")
            rows = try await host.queryRows(
                """
                SELECT alert_id, change_id, change_kind, notification_id FROM raise_alert_notifying($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                    $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)
                """,
                [
                    subject, String(seq), create, type, agent["id"]?.intValue, agentID, names.hostname, agent["client"]?.intValue,
                    names.client,
                    agent["site"]?.intValue, names.site, check, task, severity, message, hidden, wantsEmail, wantsText, event.name, eventID,
                    email, settings.notifyInfo, settings.notifyWarning, mail?.subject ?? "", mail?.body ?? "",
                ])
        case let .resolve(subject):
            let email: Bool
            switch event.name {
            case "check.resolved": email = settings.checkEmailOnResolved
            case "scripting.task.resolved": email = settings.taskEmailOnResolved
            default: email = agent["overdue_email_alert"]?.boolValue ?? false
            }
            rows = try await host.queryRows(
                """
                SELECT alert_id, change_id, change_kind, notification_id FROM resolve_alert_notifying($1, $2, $3, $4, $5, $6, $7, $8, $9)
                """,
                [
                    subject, String(seq), event.name, eventID, email, settings.notifyInfo, settings.notifyWarning, mail?.subject ?? "",
                    mail?.body ?? "",
                ])
        }
        for row in rows { announce(row, agentID: agentID) }
        await publishNotifications(rows.compactMap { $0["notification_id"]?.intValue })
    }

    static func names(_ agent: JSON) -> (hostname: String, client: String, site: String) {
        (agent["hostname"]?.stringValue ?? "", agent["client_name"]?.stringValue ?? "", agent["site_name"]?.stringValue ?? "")
    }

    /// The step for one event, or nil when it asks nothing (pure: tested through the routes).
    static func step(_ name: String, _ e: JSON, agent: JSON) -> Step? {
        guard let agentID = e["agent_id"]?.stringValue else { return nil }
        let (hostname, client, site) = names(agent)
        switch name {
        case "check.failed", "check.resolved":
            guard let check = e["check_id"]?.intValue else { return nil }
            let subject = "check:\(agentID):\(check)"
            if name == "check.resolved" { return .resolve(subject: subject) }
            let dashboard = e["dashboard_alert"]?.boolValue ?? false
            let email = e["email_alert"]?.boolValue ?? false
            let text = e["text_alert"]?.boolValue ?? false
            var severity = e["severity"]?.stringValue ?? "warning"
            if !["info", "warning", "error"].contains(severity) { severity = "warning" }
            let type = e["check_type"]?.stringValue ?? "check"
            let description = e["readable_desc"]?.stringValue ?? e["check_name"]?.stringValue ?? ""
            return .raise(
                subject: subject, type: "check", create: dashboard || email || text, check: check, task: nil, severity: severity,
                message: "\(hostname) has a \(type) check: \(description) that failed.",
                hidden: !dashboard, wantsEmail: email, wantsText: text)
        case "agent.offline", "agent.overdue":
            let dashboard = agent["overdue_dashboard_alert"]?.boolValue ?? false
            let email = agent["overdue_email_alert"]?.boolValue ?? false
            let text = agent["overdue_text_alert"]?.boolValue ?? false
            let state = name == "agent.overdue" ? "overdue" : "offline"
            return .raise(
                subject: "availability:\(agentID)", type: "availability", create: dashboard || email || text, check: nil, task: nil,
                severity: "error", message: "\(hostname) in \(client), \(site) is \(state).",
                hidden: !dashboard, wantsEmail: email, wantsText: text)
        case "agent.online":
            return .resolve(subject: "availability:\(agentID)")
        case "scripting.task.failed", "scripting.task.resolved":
            guard let task = e["task_id"]?.intValue else { return nil }
            let subject = "task:\(agentID):\(task)"
            if name == "scripting.task.resolved" { return .resolve(subject: subject) }
            let dashboard = e["dashboard_alert"]?.boolValue ?? false
            let email = e["email_alert"]?.boolValue ?? false
            let text = e["text_alert"]?.boolValue ?? false
            var severity = e["severity"]?.stringValue ?? "info"
            if !["info", "warning", "error"].contains(severity) { severity = "info" }
            return .raise(
                subject: subject, type: "task", create: dashboard || email || text, check: nil, task: task, severity: severity,
                message: "\(hostname) has task: \(e["name"]?.stringValue ?? "") that failed.",
                hidden: !dashboard, wantsEmail: email, wantsText: text)
        default:
            return nil
        }
    }

    /// alert.<change> for notification channels: the alert, the change and its cause.
    func announce(_ row: JSON, agentID: String?) {
        guard let alert = row["alert_id"]?.intValue, let change = row["change_id"]?.intValue, let kind = row["change_kind"]?.stringValue
        else { return }
        let payload: JSON = [
            "alert_id": .number(Double(alert)), "change_id": .number(Double(change)), "agent_id": agentID.map(JSON.string) ?? .null,
        ]
        do { try host.publish(event: "alert.\(kind)", json: payload) } catch {
            host.log(.warning, "publishing alert.\(kind) #\(alert): \(error)")
        }
    }
}
