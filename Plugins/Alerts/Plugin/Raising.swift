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
        let template = try await effectiveTemplate(agent: agent)
        let emailTo = template?.list("email_recipients").map { Self.jsonText(.array($0)) }
        let textTo = template?.list("text_recipients").map { Self.jsonText(.array($0)) }
        let emailFrom = template?.f["email_from"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let rows: [JSON]
        switch step {
        case let .raise(subject, type, create, check, task, severity, message, hidden, wantsEmail, wantsText):
            let names = Self.names(agent)
            let d = Self.decide(type: type, severity: severity, create: create, dashboard: !hidden, email: wantsEmail, text: wantsText, template)
            // Notices on failure; an availability alert's only once overdue, as Tactical RMM
            // (Garrison raises it already at offline).
            let overdue = type != "availability" || event.name == "agent.overdue"
            // The template's failure action, queued in the same statement (one transaction) as
            // the raise; a URL action passes the same severity gates as the e-mails.
            let section = type == "availability" ? "agent" : type
            let action = overdue ? Self.action(template, section: section, resolved: false) : nil
            let queued = action.flatMap { $0.channel == "webhook" && !settings.gate(severity) ? nil : $0 }
            rows = try await host.queryRows(
                """
                WITH r AS (
                    SELECT * FROM raise_alert_notify($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                        $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30::jsonb, $31, $32::jsonb)),
                q AS (
                    INSERT INTO notifications (alert_id, change_id, kind, channel, subject, body, action)
                    SELECT r.alert_id, r.change_id, 'raised', $33::text, $25::text, $26::text, $34::jsonb FROM r
                    WHERE $33::text IS NOT NULL AND r.change_kind IS NOT NULL
                    ON CONFLICT (alert_id, kind) WHERE action IS NOT NULL DO NOTHING
                    RETURNING id)
                SELECT alert_id, change_id, change_kind, notification_id FROM r
                UNION ALL SELECT NULL::bigint, NULL::bigint, NULL::text, id FROM q
                """,
                [
                    subject, String(seq), d.create, type, agent["id"]?.intValue, agentID, names.hostname, agent["client"]?.intValue,
                    names.client,
                    agent["site"]?.intValue, names.site, check, task, severity, message, !d.dashboard, d.email, d.text, event.name, eventID,
                    d.email && overdue, d.text && overdue, settings.notifyInfo, settings.notifyWarning, mail?.subject ?? "",
                    mail?.body ?? "", mail?.sms ?? "", d.days, d.days, emailTo, emailFrom, textTo,
                    queued?.channel, queued.map { Self.jsonText($0.action) },
                ])
        case let .resolve(subject):
            let section: String, email: Bool, text: Bool
            switch event.name {
            case "check.resolved":
                section = "check"
                email = template.map { $0.flag("check_email_on_resolved") } ?? settings.checkEmailOnResolved
                text = template?.flag("check_text_on_resolved") ?? false
            case "scripting.task.resolved":
                section = "task"
                email = template.map { $0.flag("task_email_on_resolved") } ?? settings.taskEmailOnResolved
                text = template?.flag("task_text_on_resolved") ?? false
            default:
                section = "agent"
                email = template?.flag("agent_email_on_resolved") == true || agent["overdue_email_alert"]?.boolValue == true
                text = template?.flag("agent_text_on_resolved") == true || agent["overdue_text_alert"]?.boolValue == true
            }
            let all = ["error", "warning", "info"]
            let emailSeverities = section == "agent" ? ["error"] : template?.severities(section, "email") ?? all
            let textSeverities = section == "agent" ? ["error"] : template?.severities(section, "text") ?? all
            // The template's resolved action, in the same transaction as the resolve; a URL
            // action only past the severity gates (the alert's severity, read before the
            // resolve, which does not change it).
            let action = Self.action(template, section: section, resolved: true)
            rows = try await host.queryRows(
                """
                WITH r AS (
                    SELECT * FROM resolve_alert_notify($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
                        $11, $12::text[], $13::text[], $14::jsonb, $15, $16::jsonb)),
                q AS (
                    INSERT INTO notifications (alert_id, change_id, kind, channel, subject, body, action)
                    SELECT r.alert_id, r.change_id, 'resolved', $17::text, $9::text, $10::text, $18::jsonb
                    FROM r JOIN alerts a ON a.id = r.alert_id
                    WHERE $17::text IS NOT NULL AND r.change_kind IS NOT NULL
                      AND ($17::text <> 'webhook' OR notify_gate(a.severity, $7::boolean, $8::boolean))
                    ON CONFLICT (alert_id, kind) WHERE action IS NOT NULL DO NOTHING
                    RETURNING id)
                SELECT alert_id, change_id, change_kind, notification_id FROM r
                UNION ALL SELECT NULL::bigint, NULL::bigint, NULL::text, id FROM q
                """,
                [
                    subject, String(seq), event.name, eventID, email, text, settings.notifyInfo, settings.notifyWarning, mail?.subject ?? "",
                    mail?.body ?? "", mail?.sms ?? "", Self.array(emailSeverities), Self.array(textSeverities), emailTo, emailFrom, textTo,
                    action?.channel, action.map { Self.jsonText($0.action) },
                ])
        }
        for row in rows { announce(row, agentID: agentID) }
        await publishNotifications(rows.compactMap { $0["notification_id"]?.intValue })
    }

    /// What a failure asks for, the subject's flags and the template together (Tactical RMM's
    /// failure handling): an alert when either asks; shown when the dashboard flag or
    /// always_alert is set and the severity is in the template's dashboard filter; e-mail and
    /// SMS likewise with the e-mail and text flags, always_email / always_text and their
    /// filters; the template's periodic days for re-notification.
    struct Decision: Equatable {
        var create: Bool
        var dashboard: Bool
        var email: Bool
        var text: Bool
        var days: Int
    }

    static func decide(type: String, severity: String, create: Bool, dashboard: Bool, email: Bool, text: Bool, _ t: AlertTemplate?)
        -> Decision
    {
        guard let t else { return Decision(create: create, dashboard: dashboard, email: email, text: text, days: 0) }
        let section = type == "availability" ? "agent" : type
        let alwaysAlert = t.flag("\(section)_always_alert"), alwaysEmail = t.flag("\(section)_always_email")
        let alwaysText = t.flag("\(section)_always_text")
        return Decision(
            create: create || alwaysAlert || alwaysEmail || alwaysText,
            dashboard: (dashboard || alwaysAlert) && t.severities(section, "dashboard").contains(severity),
            email: (email || alwaysEmail) && t.severities(section, "email").contains(severity),
            text: (text || alwaysText) && t.severities(section, "text").contains(severity),
            days: t.days(section))
    }

    /// A template's failure (or resolved) action as Tactical RMM runs it: only with the
    /// section's `*_script_actions` on and an action set -- a URL action (`rest`, channel
    /// "webhook") or a library script (`script`, channel "script": its arguments, environment
    /// variables and timeout). `server` (a script on the server) is refused when the template
    /// is saved. nil: nothing to run.
    static func action(_ t: AlertTemplate?, section: String, resolved: Bool) -> (channel: String, action: JSON)? {
        guard let t, t.flag("\(section)_script_actions") else { return nil }
        let p = resolved ? "resolved_" : ""
        switch t.f["\(p)action_type"]?.stringValue ?? "script" {
        case "rest":
            guard let id = t.f["\(p)action_rest"]?.intValue else { return nil }
            return ("webhook", ["type": "rest", "url_action": .number(Double(id))])
        case "script":
            guard let id = t.f["\(p)action"]?.intValue else { return nil }
            return (
                "script",
                [
                    "type": "script", "script": .number(Double(id)), "args": t.f["\(p)action_args"] ?? [],
                    "env_vars": t.f["\(p)action_env_vars"] ?? [], "timeout": t.f["\(p)action_timeout"] ?? 15,
                ]
            )
        default:
            return nil
        }
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
