import Foundation
import Testing
@testable import GarrisonHost

/// Alert templates in the alerts plugin (Plugins/Alerts/README.md, "Alert templates"):
/// Tactical RMM's /alerts/templates/ routes, its precedence (agent's policy, site's policy, the
/// site's own, client's policy, the client's own, the global default) and exclusions, the
/// per-severity filters and always_* overrides, periodic re-notification, and scope.
@Suite struct PluginsAlertTemplatesTests {
    typealias World = PluginsAlertsTests.World

    static func template(_ w: World, _ fields: [String: JSON]) async throws -> Int {
        let name = "tpl-\(UUID().uuidString.prefix(8))"
        var body = fields
        body["name"] = .string(name)
        let reply = try await w.host.request(.post, "/alerts/templates/", as: .token(w.admin), json: .object(body))
        guard reply.status == 200, reply.json == "ok" else { throw TestFailure("template: \(reply.status) \(reply.text)") }
        return try await w.pool.query("SELECT id FROM plugin_alert.templates WHERE name = $1", [name]).first!.int("id")
    }

    static func assign(_ w: World, _ body: JSON) async throws {
        let reply = try await w.host.request(.put, "/alerts/assignments/", as: .token(w.admin), json: body)
        guard reply.status == 200 else { throw TestFailure("assign: \(reply.status) \(reply.text)") }
    }

    static func policy(_ w: World, template: Int) async throws -> Int {
        let name = "pol-\(UUID().uuidString.prefix(8))"
        let reply = try await w.host.request(
            .post, "/automation/policies/", as: .token(w.admin), json: ["name": .string(name), "active": true, "alert_template": .init(template)])
        guard reply.status == 200 else { throw TestFailure("policy: \(reply.status) \(reply.text)") }
        return try await w.pool.query("SELECT id FROM policies WHERE name = $1", [name]).first!.int("id")
    }

    /// A new failing check without alert flags: only a template's always_* makes it notify.
    /// Answers the recipients of the e-mail notification it caused.
    static func fire(_ w: World, severity: String = "error") async throws -> [String] {
        let before = w.events.named("alert.notify").count
        let id = try await w.check(["check_type": "ping", "ip": "10.0.0.1", "fails_b4_alert": 1, "alert_severity": .string(severity)])
        try await w.submit(id, failing: true)
        guard try await w.host.eventually(10, { w.events.named("alert.notify").count > before }) else {
            throw TestFailure("no alert.notify for check \(id)")
        }
        let notice = w.events.named("alert.notify")[before]
        return notice["recipients"]?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    @Test func templates_crudWithTacticalShapes_andRefusals() async throws {
        try await PluginsAlertsTests.with { w in
            let id = try await Self.template(w, ["email_recipients": ["ops@example.com"], "check_email_alert_severity": ["error"]])
            let list = try await w.host.request(.get, "/alerts/templates/", as: .token(w.admin))
            let t = try #require(list.json.arrayValue?.first { $0["id"]?.intValue == id }, "\(list.text)")
            #expect(t["is_active"] == true && t["action_type"] == "script" && t["action_timeout"] == 15 && t["agent_periodic_alert_days"] == 0)
            #expect(t["check_always_email"] == .null && t["check_script_actions"] == true && t["excluded_clients"] == [])
            #expect(t["check_settings"] == true && t["agent_settings"] == false && t["core_settings"] == ["ops@example.com"], "\(t)")
            #expect(t["default_template"] == false && t["applied_count"] == 0 && t["action_name"] == "")

            let put = try await w.host.request(
                .put, "/alerts/templates/\(id)/", as: .token(w.admin), json: ["name": "renamed", "email_from": "alerts@example.com"])
            #expect(put.status == 200 && put.json == "ok", "\(put.text)")
            try await Self.assign(w, ["default": .init(id)])
            try await Self.assign(w, ["client": .init(w.client), "alert_template": .init(id)])
            let one = try await w.host.request(.get, "/alerts/templates/\(id)/", as: .token(w.admin)).json
            #expect(one["name"] == "renamed" && one["core_settings"] == true && one["default_template"] == true && one["applied_count"] == 1)
            let related = try await w.host.request(.get, "/alerts/templates/\(id)/related/", as: .token(w.admin)).json
            #expect(related["clients"]?.arrayValue?.first?["name"] == "Alerts Co" && related["sites"] == [] && related["policies"] == [])
            let assignments = try await w.host.request(.get, "/alerts/assignments/", as: .token(w.admin)).json
            #expect(assignments["default"]?.intValue == id && assignments["clients"]?.arrayValue?.count == 1)

            // Refusals name the field.
            for (body, needle) in [
                (["name": "x", "colour": "red"] as JSON, "colour"),
                (["name": "x", "email_recipients": ["not an address"]], "email_recipients"),
                (["name": "x", "text_recipients": ["555-1234"]], "text_recipients"),
                (["name": "x", "check_periodic_alert_days": 99999], "check_periodic_alert_days"),
                (["name": "x", "task_text_alert_severity": ["fatal"]], "task_text_alert_severity"),
                (["name": "x", "action_type": "server"], "action_type"),
                (["check_always_email": true], "name"),
            ] {
                let reply = try await w.host.request(.post, "/alerts/templates/", as: .token(w.admin), json: body)
                #expect(reply.status == 400 && reply.json["detail"]?.stringValue?.contains(needle) == true, "\(body): \(reply.text)")
            }
            let missing = try await w.host.request(.get, "/alerts/templates/999999/", as: .token(w.admin))
            #expect(missing.status == 404 && missing.json["detail"] == "No AlertTemplate matches the given query.")
            let bad = try await w.host.request(.put, "/alerts/assignments/", as: .token(w.admin), json: ["site": .init(w.site), "alert_template": 999999])
            #expect(bad.status == 400 && bad.json["detail"]?.stringValue?.contains("alert_template") == true, "\(bad.text)")

            #expect(try await w.host.request(.delete, "/alerts/templates/\(id)/", as: .token(w.admin)).json == "ok")
            let after = try await w.host.request(.get, "/alerts/assignments/", as: .token(w.admin)).json
            #expect(after["default"] == .null && after["clients"] == [])
        }
    }

    /// Tactical RMM's order: the agent's policy, the site's policy, the site's own template,
    /// the client's policy, the client's own, the global default; a template that excludes
    /// the agent's client, or is inactive, is passed over.
    @Test func precedence_agentPolicyOverSiteOverClientOverDefault_withExclusions() async throws {
        try await PluginsAlertsTests.with { w in
            func make(_ address: String) async throws -> Int {
                try await Self.template(w, ["check_always_email": true, "email_recipients": [.string(address)]])
            }
            try await Self.assign(w, ["default": .init(try await make("default@example.com"))])
            #expect(try await Self.fire(w) == ["default@example.com"])
            let clientPolicyTemplate = try await make("client-policy@example.com")
            let clientPolicy = try await Self.policy(w, template: clientPolicyTemplate)
            try await Self.assign(w, ["client": .init(w.client), "alert_template": .init(try await make("client@example.com"))])
            #expect(try await Self.fire(w) == ["client@example.com"])
            let slots: JSON = ["server_policy": .init(clientPolicy), "workstation_policy": .init(clientPolicy)]
            #expect(try await w.host.request(.put, "/clients/\(w.client)/", as: .token(w.admin), json: ["client": slots]).status == 200)
            #expect(try await Self.fire(w) == ["client-policy@example.com"])
            try await Self.assign(w, ["site": .init(w.site), "alert_template": .init(try await make("site@example.com"))])
            #expect(try await Self.fire(w) == ["site@example.com"])
            let sitePolicyTemplate = try await make("site-policy@example.com")
            let sitePolicy = try await Self.policy(w, template: sitePolicyTemplate)
            let siteSlots: JSON = ["server_policy": .init(sitePolicy), "workstation_policy": .init(sitePolicy)]
            #expect(try await w.host.request(.put, "/clients/sites/\(w.site)/", as: .token(w.admin), json: ["site": siteSlots]).status == 200)
            #expect(try await Self.fire(w) == ["site-policy@example.com"])
            let agentTemplate = try await make("agent-policy@example.com")
            let agentPolicy = try await Self.policy(w, template: agentTemplate)
            try await w.pool.query("UPDATE agents SET policy_id = $1 WHERE agent_id = $2", [String(agentPolicy), w.agentID])
            #expect(try await Self.fire(w) == ["agent-policy@example.com"])

            // Exclusions and inactive templates fall through to the next step.
            let exclude = try await w.host.request(
                .put, "/alerts/templates/\(agentTemplate)/", as: .token(w.admin), json: ["excluded_clients": [.init(w.client)]])
            #expect(exclude.status == 200)
            #expect(try await Self.fire(w) == ["site-policy@example.com"])
            let inactive = try await w.host.request(.put, "/alerts/templates/\(sitePolicyTemplate)/", as: .token(w.admin), json: ["is_active": false])
            #expect(inactive.status == 200)
            #expect(try await Self.fire(w) == ["site@example.com"])

            // The host's policy field is mirrored for related (policies).
            #expect(
                try await w.host.eventually {
                    try await w.host.request(.get, "/alerts/templates/\(clientPolicyTemplate)/related/", as: .token(w.admin)).json["policies"]?
                        .arrayValue?.first?["id"]?.intValue == clientPolicy
                })
        }
    }

    /// The template's filters and always_* decide: always_alert shows an alert the check
    /// does not ask for, unless its severity is outside the dashboard filter; always_text
    /// sends an SMS notification (the subject) only for severities in the text filter.
    @Test func alwaysOverrides_andSeverityFilters() async throws {
        try await PluginsAlertsTests.with { w in
            let id = try await Self.template(
                w,
                [
                    "check_always_alert": true, "check_always_text": true, "check_dashboard_alert_severity": ["error"],
                    "check_text_alert_severity": ["error"], "text_recipients": ["+15551234567"],
                ])
            try await Self.assign(w, ["default": .init(id)])
            let warning = try await w.check(["check_type": "ping", "name": "warn", "ip": "10.0.0.2", "fails_b4_alert": 1, "alert_severity": "warning"])
            try await w.submit(warning, failing: true)
            #expect(try await w.host.eventually { try await w.alerts(check: warning).count == 1 })
            #expect(try await w.alerts(check: warning).first?["hidden"] == true)
            let error = try await w.check(["check_type": "ping", "name": "err", "ip": "10.0.0.3", "fails_b4_alert": 1, "alert_severity": "error"])
            try await w.submit(error, failing: true)
            #expect(try await w.host.eventually(10) { w.events.named("alert.notify").count == 1 })
            #expect(try await w.alerts(check: error).first?["hidden"] == false)
            let sms = try #require(w.events.named("alert.notify").first)
            #expect(sms["channel"] == "sms" && sms["recipients"] == ["+15551234567"], "\(sms)")
            #expect(sms["body"] == "Alerts Co, HQ, web-1 - Ping err Failed", "\(sms)")
            #expect(try await w.pool.query("SELECT count(*) AS n FROM plugin_alert.notifications").first?.int("n") == 1)
        }
    }

    /// check_periodic_alert_days: the failure notice of an open alert goes out again once
    /// its last one is older than that many days (the alert.renotify job).
    @Test func periodicReNotification_resendsAfterThePeriod() async throws {
        try await PluginsAlertsTests.with(settings: "renotify_sweep_seconds = 1") { w in
            let id = try await Self.template(w, ["check_always_email": true, "check_periodic_alert_days": 1])
            try await Self.assign(w, ["default": .init(id)])
            _ = try await Self.fire(w)
            let first = try #require(w.events.named("alert.notify").first)
            let scheduler = w.host.server.scheduler
            let running = Task { try await scheduler.run() }
            defer { running.cancel() }
            try await w.pool.query("UPDATE plugin_alert.alerts SET email_sent = now() - interval '2 days'")
            #expect(try await w.host.eventually(15) { w.events.named("alert.notify").count == 2 })
            let again = try #require(w.events.named("alert.notify").last)
            #expect(again["alert_id"] == first["alert_id"] && again["subject"] == first["subject"] && again["notification_id"] != first["notification_id"])
        }
    }

    /// A role limited to some clients: templates assigned elsewhere cannot be changed, their
    /// related lists show only its own clients, and it cannot assign outside its scope.
    @Test func scopedOperator_changesOnlyTemplatesInsideItsScope() async throws {
        try await PluginsAlertsTests.with { w in
            let (other, _) = try await w.host.client("Other Co", admin: w.admin)
            let mine = try await Self.template(w, [:])
            try await Self.assign(w, ["client": .init(w.client), "alert_template": .init(mine)])
            let theirs = try await Self.template(w, [:])
            try await Self.assign(w, ["client": .init(other), "alert_template": .init(theirs)])
            let scoped = try await w.host.user(
                "templates-scoped", permissions: ["can_list_alerttemplates", "can_manage_alerttemplates"], clients: [w.client], admin: w.admin)
            #expect(try await w.host.request(.put, "/alerts/templates/\(mine)/", as: .token(scoped), json: ["is_active": false]).status == 200)
            let refused = try await w.host.request(.put, "/alerts/templates/\(theirs)/", as: .token(scoped), json: ["is_active": false])
            #expect(refused.status == 403 && refused.json["detail"]?.stringValue?.contains("client \(other)") == true, "\(refused.text)")
            #expect(try await w.host.request(.delete, "/alerts/templates/\(theirs)/", as: .token(scoped)).status == 403)
            let related = try await w.host.request(.get, "/alerts/templates/\(theirs)/related/", as: .token(scoped))
            #expect(related.status == 200 && related.json["clients"] == [] && !related.text.contains("Other Co"))
            let assign = try await w.host.request(
                .put, "/alerts/assignments/", as: .token(scoped), json: ["client": .init(other), "alert_template": .init(mine)])
            #expect(assign.status == 404)
            #expect(try await w.host.request(.put, "/alerts/assignments/", as: .token(scoped), json: ["default": .init(mine)]).status == 403)
            let listed = try await w.host.request(.get, "/alerts/assignments/", as: .token(scoped)).json
            #expect(listed["clients"]?.arrayValue?.count == 1)
        }
    }
}
