import Foundation
import HTTPTypes
import NIOConcurrencyHelpers
import Testing
@testable import GarrisonHost

/// The alerts plugin (Plugins/Alerts) with the checks plugin, both built next to this bundle
/// and loaded by a real host: alerts raised and resolved from real check results (an agent's
/// token on the agent routes) and from the host's agent status sweep, and Tactical RMM's
/// alert routes with scope, filters, paging and refusals.
@Suite struct PluginsAlertsTests {
    static func folder(scripting: Bool = false, settings: String = "") throws -> PluginFolder {
        let folder = try PluginsChecksTests.folder()
        if scripting {
            let copy = try folder.copyBuilt("libScriptingPlugin.so")
            try folder.write("50-scripting.toml", "library = \"\(copy)\"\nenabled = true\n")
        }
        let copy = try folder.copyBuilt("libAlertsPlugin.so")
        try folder.write("60-alerts.toml", "library = \"\(copy)\"\nenabled = true\n\n[settings]\n\(settings)\n")
        return folder
    }

    /// Events seen on the host's bus.
    typealias Events = PluginsChecksTests.Events

    struct World: Sendable {
        let host: TestHost
        let admin: String
        let client: Int
        let site: Int
        let agentID: String
        let agentToken: String
        let events: Events

        var pool: DatabasePool { host.server.storage.pool }

        func check(_ body: [String: JSON], agent: String? = nil) async throws -> Int {
            var fields = body
            fields["agent"] = .string(agent ?? agentID)
            let created = try await host.request(.post, "/checks/", as: .token(admin), json: .object(fields))
            guard created.status == 200 else { throw TestFailure("create check: \(created.status) \(created.text)") }
            return try await pool.query("SELECT max(id) AS id FROM plugin_check.checks").first!.int("id")
        }

        func submit(_ id: Int, failing: Bool, agent: (String, String)? = nil) async throws {
            let (agentID, token) = agent ?? (self.agentID, agentToken)
            let reply = try await host.request(
                .patch, "/api/v3/checkrunner/", as: .token(token),
                json: [
                    "id": .init(id), "agent_id": .string(agentID), "status": failing ? "failing" : "passing",
                    "output": failing ? "100% packet loss" : "ok",
                ])
            guard reply.status == 200 else { throw TestFailure("result: \(reply.status) \(reply.text)") }
        }

        func alerts(_ body: JSON = [:], as token: String? = nil) async throws -> [JSON] {
            let reply = try await host.request(.patch, "/alerts/", as: .token(token ?? admin), json: body)
            guard reply.status == 200, let list = reply.json.arrayValue else {
                throw TestFailure("PATCH /alerts/: \(reply.status) \(reply.text)")
            }
            return list
        }

        func alerts(check: Int) async throws -> [JSON] { try await alerts().filter { $0["assigned_check"]?.intValue == check } }

        func availability(_ agent: String) async throws -> [JSON] {
            try await alerts().filter { $0["alert_type"] == "availability" && $0["agent_id"]?.stringValue == agent }
        }

        func edit(agent: String? = nil, _ fields: JSON) async throws {
            let reply = try await host.request(.put, "/agents/\(agent ?? agentID)/", as: .token(admin), json: fields)
            guard reply.status == 200 else { throw TestFailure("edit agent: \(reply.status) \(reply.text)") }
        }

        /// The host's status sweep after the agent's last contact is moved `minutes` back.
        func lastSeen(_ agent: String, minutesAgo minutes: Int) async throws {
            try await pool.query(
                "UPDATE agents SET last_seen = now() - make_interval(mins => $2::int) WHERE agent_id = $1", [agent, String(minutes)])
            _ = try await AgentStatusWatch.sweep(pool: pool, events: host.server.context.events)
        }

        /// What telemetry ingestion does when an agent reports again.
        func comesBack(_ agent: String) async throws {
            try await pool.query("UPDATE agents SET last_seen = now(), status_announced = 'online' WHERE agent_id = $1", [agent])
            host.server.context.events.publish("agent.online", ["agent_id": .string(agent)])
        }

        func enroll(site: Int) async throws -> (String, String) {
            let (agentID, token) = try await PluginsChecksTests.enroll(host, admin: admin, site: site)
            try await pool.query("UPDATE agents SET last_seen = now(), status_announced = 'online' WHERE agent_id = $1", [agentID])
            return (agentID, token)
        }
    }

    static func with(
        scripting: Bool = false, bus: Bool = false, settings: String = "", extra: (PluginFolder) throws -> Void = { _ in },
        _ body: @Sendable @escaping (World) async throws -> Void
    ) async throws {
        let folder = try folder(scripting: scripting, settings: settings)
        try extra(folder)
        defer { folder.cleanUp() }
        try await TestHost.with(plugins: folder, callTimeoutMS: 20_000, bus: bus) { host in
            let events = Events()
            for pattern in ["check.*", "alert.*", "scripting.task.*"] {
                host.server.context.events.subscribe(owner: "test", pattern: pattern) { event in
                    let value = (try? JSON.parse(Data(event.json.utf8))) ?? .null
                    events.seen.withLockedValue { $0.append((event.name, value)) }
                }
            }
            let admin = try await host.adminToken()
            let (client, site) = try await host.client("Alerts Co", admin: admin)
            let (agentID, token) = try await PluginsChecksTests.enroll(host, admin: admin, site: site)
            try await host.server.storage.pool.query(
                "UPDATE agents SET last_seen = now(), status_announced = 'online' WHERE agent_id = $1", [agentID])
            try await body(World(host: host, admin: admin, client: client, site: site, agentID: agentID, agentToken: token, events: events))
        }
    }

    /// POST /alerts/: an agentless (custom) alert, listed without agent fields; refusals name the field.
    @Test func createdCustomAlert_isListed_andBadFieldsAreRefusedByName() async throws {
        try await Self.with { w in
            let created = try await w.host.request(
                .post, "/alerts/", as: .token(w.admin), json: ["alert_type": "custom", "message": "backup job missed", "severity": "warning"])
            #expect(created.status == 200 && created.json == "ok", "\(created.text)")
            let alert = try #require(try await w.alerts().first { $0["message"] == "backup job missed" })
            #expect(alert["alert_type"] == "custom" && alert["severity"] == "warning" && alert["resolved"] == false && alert["hidden"] == false)
            #expect(alert["agent"] == .null && alert["hostname"] == nil && alert["agent_id"] == nil, "\(alert)")
            #expect(w.events.named("alert.raised").contains { $0["alert_id"] == alert["id"] })
            for (body, field) in [
                (["message": "x", "colour": "red"] as JSON, "colour"), (["agent": "web-1"], "agent"), (["agent": 0], "agent"),
                (["alert_type": "check"], "alert_type"),
                (["severity": "fatal"], "severity"), (["message": 5], "message"), (["hidden": "yes"], "hidden"),
            ] {
                let refused = try await w.host.request(.post, "/alerts/", as: .token(w.admin), json: body)
                #expect(refused.status == 400 && refused.json["detail"]?.stringValue?.hasPrefix(field) == true, "\(body): \(refused.text)")
            }
            #expect(try await w.alerts().count == 1, "nothing half-stored")

            // An agent's custom alert, by the agent's pk: shown with its agent.
            let pk = try #require(try await w.pool.query("SELECT id FROM agents WHERE agent_id = $1", [w.agentID]).first?.int("id"))
            let made = try await w.host.request(
                .post, "/alerts/", as: .token(w.admin), json: ["agent": .init(pk), "message": "disk replaced", "severity": "error"])
            #expect(made.status == 200 && made.json == "ok", "\(made.text)")
            let mine = try #require(try await w.alerts().first { $0["message"] == "disk replaced" })
            #expect(mine["agent"] == .init(pk) && mine["agent_id"]?.stringValue == w.agentID && mine["hostname"] == "web-1", "\(mine)")
            #expect(mine["alert_type"] == "custom" && mine["client"] == "Alerts Co" && mine["site"] == "HQ", "\(mine)")
            // An agent that does not exist, or that the caller's role does not reach, is a 404
            // and creates nothing.
            #expect(try await w.host.request(.post, "/alerts/", as: .token(w.admin), json: ["agent": 999_999]).status == 404)
            let (elsewhere, _) = try await w.host.client("Elsewhere Co", admin: w.admin)
            let scoped = try await w.host.user(
                "alerts-creator", permissions: ["can_list_alerts", "can_manage_alerts"], clients: [elsewhere], admin: w.admin)
            let outside = try await w.host.request(.post, "/alerts/", as: .token(scoped), json: ["agent": .init(pk), "message": "sneaky"])
            #expect(outside.status == 404, "\(outside.text)")
            #expect(try await w.alerts().contains { $0["message"] == "sneaky" } == false)
        }
    }

    @Test func failingCheck_raisesOneAlertAtFailsB4Alert_andRecoveryResolvesIt() async throws {
        try await Self.with { w in
            let id = try await w.check([
                "check_type": "ping", "name": "gateway", "ip": "10.0.0.1", "fails_b4_alert": 3, "dashboard_alert": true,
                "alert_severity": "error",
            ])
            for _ in 1...2 { try await w.submit(id, failing: true) }
            #expect(try await w.alerts(check: id).isEmpty, "below fails_b4_alert: no alert")
            try await w.submit(id, failing: true)
            #expect(try await w.host.eventually { try await w.alerts(check: id).count == 1 })
            // More failures keep the one open alert.
            try await w.submit(id, failing: true)
            try await w.submit(id, failing: true)
            let alert = try #require(try await w.alerts(check: id).first)
            #expect(
                alert["alert_type"] == "check" && alert["severity"] == "error" && alert["resolved"] == false && alert["hidden"] == false)
            #expect(
                alert["agent_id"]?.stringValue == w.agentID && alert["hostname"] == "web-1" && alert["client"] == "Alerts Co"
                    && alert["site"] == "HQ")
            #expect(alert["message"]?.stringValue == "web-1 has a ping check: Ping gateway that failed.", "\(alert)")
            #expect(alert["alert_time"]?.stringValue?.hasSuffix("Z") == true && alert["agent"]?.intValue != nil)
            for field in [
                "snooze_until", "resolved_on", "email_sent", "sms_sent", "resolved_email_sent", "resolved_sms_sent", "action_run",
                "action_retcode",
                "resolved_action_run", "resolved_action_stdout",
            ] {
                #expect(alert[field] == .null, "\(field) present and null")
            }
            #expect(w.events.named("alert.raised").count == 1)

            // The first passing result resolves it; the next failure run opens a new one.
            try await w.submit(id, failing: false)
            #expect(try await w.host.eventually { try await w.alerts(check: id).first?["resolved"] == true })
            let resolved = try #require(try await w.alerts(check: id).first)
            #expect(resolved["resolved_on"]?.stringValue != nil && resolved["id"] == alert["id"])
            #expect(try await w.host.eventually { w.events.named("alert.resolved").count == 1 })
            for _ in 1...3 { try await w.submit(id, failing: true) }
            #expect(try await w.host.eventually { try await w.alerts(check: id).count == 2 })
            #expect(try await w.alerts(check: id).filter { $0["resolved"] == false }.count == 1)

            // The change log names the event behind each change, for the notifications.
            let changes = try await w.pool.query("SELECT change, cause, cause_id FROM plugin_alert.changes ORDER BY id").rows
            #expect(changes.map { $0.string("change") } == ["raised", "resolved", "raised"])
            #expect(changes.map { $0.string("cause") } == ["check.failed", "check.resolved", "check.failed"])
            #expect(changes.allSatisfy { $0.optionalInt("cause_id") != nil })
        }
    }

    @Test func failingTask_raisesATaskAlert_andItsNextPassingRunResolvesIt() async throws {
        try await Self.with(scripting: true) { w in
            let created = try await w.host.request(
                .post, "/tasks/", as: .token(w.admin),
                json: [
                    "agent_id": .string(w.agentID), "name": "Backup", "task_type": "manual", "dashboard_alert": true,
                    "alert_severity": "error",
                    "actions": [["type": "cmd", "command": "backup", "shell": "/bin/bash", "timeout": 15]],
                ])
            let task = try #require(created.json["id"]?.intValue, "\(created.status) \(created.text)")
            let runner = "/api/v3/\(task)/\(w.agentID)/taskrunner/"
            func report(_ retcode: Int) async throws {
                let reply = try await w.host.request(
                    .patch, runner, as: .token(w.agentToken),
                    json: ["stdout": "", "stderr": retcode == 0 ? "" : "disk full", "retcode": .init(retcode), "execution_time": 0.5])
                #expect(reply.status == 200, "\(reply.text)")
            }
            @Sendable func alerts() async throws -> [JSON] { try await w.alerts().filter { $0["assigned_task"]?.intValue == task } }
            try await report(1)
            #expect(try await w.host.eventually { try await alerts().count == 1 })
            let alert = try #require(try await alerts().first)
            #expect(
                alert["alert_type"] == "task" && alert["severity"] == "error" && alert["hidden"] == false
                    && alert["assigned_check"] == .null)
            #expect(alert["message"] == "web-1 has task: Backup that failed.", "\(alert)")
            try await report(0)
            #expect(try await w.host.eventually { try await alerts().first?["resolved"] == true })
            #expect(try await alerts().count == 1)
        }
    }

    @Test func checkFlags_decideWhetherAndWhereAnAlertIsRaised() async throws {
        try await Self.with { w in
            // No alert flag: the failure is an event, not an alert.
            let quiet = try await w.check(["check_type": "ping", "ip": "10.0.0.2", "fails_b4_alert": 1])
            // E-mail only: an alert for the notifications, hidden from the dashboard.
            let mailed = try await w.check(["check_type": "ping", "ip": "10.0.0.3", "fails_b4_alert": 1, "email_alert": true])
            try await w.submit(quiet, failing: true)
            try await w.submit(mailed, failing: true)
            #expect(try await w.host.eventually { try await w.alerts(check: mailed).count == 1 })
            #expect(try await w.host.eventually { w.events.named("check.failed").count == 2 })
            #expect(try await w.alerts(check: quiet).isEmpty)
            let alert = try #require(try await w.alerts(check: mailed).first)
            #expect(alert["hidden"] == true)
            #expect(
                try await w.pool.query(
                    "SELECT wants_email, wants_text FROM plugin_alert.alerts WHERE assigned_check = $1", [String(mailed)]
                ).first.map { $0.bool("wants_email") && !$0.bool("wants_text") } == true)
            // Hidden alerts are not in the dashboard's top list.
            let top = try await w.host.request(.patch, "/alerts/", as: .token(w.admin), json: ["top": 10])
            #expect(top.json["alerts_count"] == 0 && top.json["alerts"] == [], "\(top.text)")
        }
    }

    @Test func maintenanceMode_raisesNothing() async throws {
        try await Self.with { w in
            let id = try await w.check(["check_type": "ping", "ip": "10.0.0.4", "fails_b4_alert": 1, "dashboard_alert": true])
            try await w.edit(["maintenance_mode": true, "overdue_dashboard_alert": true])
            try await w.submit(id, failing: true)
            try await w.lastSeen(w.agentID, minutesAgo: 10)
            #expect(try await w.host.eventually { w.events.named("check.failed").count == 1 })

            // Another agent's failure, after those, raises its alert; the agent in maintenance
            // (it stays so: whenever its events are handled, they find it in maintenance) has none.
            let marker = try await w.enroll(site: w.site)
            let other = try await w.check(
                ["check_type": "ping", "ip": "10.0.0.5", "fails_b4_alert": 1, "dashboard_alert": true], agent: marker.0)
            try await w.submit(other, failing: true, agent: marker)
            #expect(try await w.host.eventually { try await w.alerts(check: other).count == 1 })
            #expect(try await w.alerts(check: id).isEmpty)
            #expect(try await w.availability(w.agentID).isEmpty)
            #expect(try await w.pool.query("SELECT count(*)::int AS n FROM plugin_alert.alerts").first?.int("n") == 1)
        }
    }

    @Test func agentOffline_raisesAnAvailabilityAlert_andOnlineResolvesIt() async throws {
        try await Self.with { w in
            // Without overdue alert flags an agent going offline raises nothing.
            let (quiet, _) = try await w.enroll(site: w.site)
            try await w.lastSeen(quiet, minutesAgo: 10)

            try await w.edit(["overdue_dashboard_alert": true, "overdue_email_alert": true])
            try await w.lastSeen(w.agentID, minutesAgo: 10)
            #expect(try await w.host.eventually { try await w.availability(w.agentID).count == 1 })
            var alert = try #require(try await w.availability(w.agentID).first)
            #expect(
                alert["severity"] == "error" && alert["hidden"] == false && alert["resolved"] == false && alert["assigned_check"] == .null)
            #expect(alert["message"] == "web-1 in Alerts Co, HQ is offline.", "\(alert)")

            // Overdue: the same alert, its message updated.
            try await w.lastSeen(w.agentID, minutesAgo: 120)
            #expect(
                try await w.host.eventually {
                    try await w.availability(w.agentID).first?["message"] == "web-1 in Alerts Co, HQ is overdue."
                })
            #expect(try await w.availability(w.agentID).count == 1)

            try await w.comesBack(w.agentID)
            #expect(try await w.host.eventually { try await w.availability(w.agentID).first?["resolved"] == true })
            alert = try #require(try await w.availability(w.agentID).first)
            #expect(alert["resolved_on"]?.stringValue != nil && alert["snoozed"] == false)
            #expect(try await w.availability(quiet).isEmpty)
            let causes = try await w.pool.query("SELECT change || ':' || cause AS c FROM plugin_alert.changes ORDER BY id").rows.map {
                $0.string("c")
            }
            #expect(causes == ["raised:agent.offline", "updated:agent.overdue", "resolved:agent.online"])
        }
    }

    /// Five availability alerts (four in this client, one in another) and one check alert.
    static func manyAlerts(_ w: World) async throws -> (other: (client: Int, agent: String), check: Int) {
        let (otherClient, otherSite) = try await w.host.client("Other Co", admin: w.admin)
        var agents: [String] = [w.agentID]
        for _ in 1...3 { agents.append(try await w.enroll(site: w.site).0) }
        let other = try await w.enroll(site: otherSite).0
        agents.append(other)
        try await w.pool.query("UPDATE agents SET overdue_dashboard_alert = true")
        for agent in agents { try await w.lastSeen(agent, minutesAgo: 10) }
        let check = try await w.check([
            "check_type": "ping", "ip": "10.0.0.9", "fails_b4_alert": 1, "dashboard_alert": true, "alert_severity": "warning",
        ])
        try await w.submit(check, failing: true)
        #expect(try await w.host.eventually { try await w.alerts().count == 6 })
        return ((otherClient, other), check)
    }

    @Test func patchAlerts_topFiltersAndPages() async throws {
        try await Self.with { w in
            let (other, check) = try await Self.manyAlerts(w)
            let all = try await w.alerts()
            #expect(all.count == 6)
            let times = all.compactMap { $0["alert_time"]?.stringValue }
            #expect(times == times.sorted(by: >), "newest first")

            let top = try await w.host.request(.patch, "/alerts/", as: .token(w.admin), json: ["top": 2])
            #expect(top.status == 200 && top.json["alerts_count"] == 6, "\(top.text)")
            let topTimes = top.json["alerts"]?.arrayValue?.compactMap { $0["alert_time"]?.stringValue } ?? []
            #expect(topTimes.count == 2 && topTimes == topTimes.sorted() && topTimes.first == times.last, "oldest first")

            #expect(try await w.alerts(["severityFilter": ["warning"]]).map { $0["assigned_check"]?.intValue } == [check])
            #expect(try await w.alerts(["severityFilter": ["error", "info"]]).count == 5)
            #expect(try await w.alerts(["clientFilter": [.init(other.client)]]).map { $0["agent_id"]?.stringValue } == [other.agent])
            #expect(try await w.alerts(["clientFilter": [.init(w.client)], "typeFilter": ["availability"]]).count == 4)
            #expect(try await w.alerts(["siteFilter": [.init(w.site)]]).count == 5)
            #expect(try await w.alerts(["timeFilter": 1]).count == 6)

            // Pages of two, the total in X-Total-Count when asked for; together every alert once.
            let uncounted = try await w.host.request(.patch, "/alerts/", as: .token(w.admin), json: ["page": 1, "page_size": 2])
            #expect(uncounted.json.arrayValue?.count == 2 && uncounted.headers[.init("X-Total-Count")!] == nil)
            #expect(
                try await w.host.request(.patch, "/alerts/", as: .token(w.admin), json: ["page": 1, "with_count": "yes"]).json["detail"]?
                    .stringValue?.hasPrefix("with_count") == true)
            var seen: [JSON] = []
            for page in 1...4 {
                let reply = try await w.host.request(
                    .patch, "/alerts/", as: .token(w.admin), json: ["page": .init(page), "page_size": 2, "with_count": true])
                #expect(reply.status == 200 && reply.headers[.init("X-Total-Count")!] == "6", "\(reply.text)")
                let items = reply.json.arrayValue ?? []
                #expect(items.count == (page <= 3 ? 2 : 0))
                seen += items.compactMap { $0["id"] }
            }
            #expect(seen == all.compactMap { $0["id"] })

            // resolvedFilter / snoozedFilter false leave out resolved / snoozed alerts.
            let first = try #require(all.first?["id"]?.intValue), second = try #require(all.last?["id"]?.intValue)
            #expect(try await w.host.request(.put, "/alerts/\(first)/", as: .token(w.admin), json: ["type": "resolve"]).json == "ok")
            #expect(
                try await w.host.request(.put, "/alerts/\(second)/", as: .token(w.admin), json: ["type": "snooze", "snooze_days": 2]).json
                    == "ok")
            let snoozed = try await w.host.request(.get, "/alerts/\(second)/", as: .token(w.admin))
            #expect(snoozed.json["snoozed"] == true && snoozed.json["snooze_until"]?.stringValue != nil)
            #expect(try await w.alerts(["resolvedFilter": false]).count == 5)
            #expect(try await w.alerts(["resolvedFilter": false, "snoozedFilter": false]).count == 4)
            #expect(try await w.alerts(["resolvedFilter": true, "snoozedFilter": true]).count == 6)
            #expect(try await w.host.request(.patch, "/alerts/", as: .token(w.admin), json: ["top": 10]).json["alerts_count"] == 4)
            #expect(try await w.host.request(.put, "/alerts/\(second)/", as: .token(w.admin), json: ["type": "unsnooze"]).json == "ok")
            #expect(try await w.host.request(.get, "/alerts/\(second)/", as: .token(w.admin)).json["snooze_until"] == .null)

            // Fields without a type; then delete.
            #expect(
                try await w.host.request(.put, "/alerts/\(second)/", as: .token(w.admin), json: ["severity": "info", "hidden": true]).json
                    == "ok")
            let edited = try await w.host.request(.get, "/alerts/\(second)/", as: .token(w.admin))
            #expect(edited.json["severity"] == "info" && edited.json["hidden"] == true)
            #expect(try await w.host.request(.delete, "/alerts/\(second)/", as: .token(w.admin)).json == "ok")
            #expect(try await w.host.request(.get, "/alerts/\(second)/", as: .token(w.admin)).status == 404)
        }
    }

    @Test func bulkResolveAndSnooze() async throws {
        try await Self.with { w in
            _ = try await Self.manyAlerts(w)
            let ids = try await w.alerts().compactMap { $0["id"]?.intValue }
            let snooze = try await w.host.request(
                .post, "/alerts/bulk/", as: .token(w.admin),
                json: ["bulk_action": "snooze", "alerts": .init(Array(ids.prefix(3))), "snooze_days": 1])
            #expect(snooze.status == 200 && snooze.json == "ok", "\(snooze.text)")
            #expect(try await w.alerts(["snoozedFilter": false]).count == 3)
            #expect(try await w.host.request(.patch, "/alerts/", as: .token(w.admin), json: ["top": 10]).json["alerts_count"] == 3)
            #expect(
                try await w.host.request(
                    .post, "/alerts/bulk/", as: .token(w.admin), json: ["bulk_action": "unsnooze", "alerts": .init(Array(ids.prefix(1)))]
                ).json == "ok")
            #expect(try await w.alerts(["snoozedFilter": false]).count == 4)

            let resolve = try await w.host.request(
                .post, "/alerts/bulk/", as: .token(w.admin), json: ["bulk_action": "resolve", "alerts": .init(ids)])
            #expect(resolve.status == 200 && resolve.json == "ok")
            let after = try await w.alerts()
            #expect(
                after.allSatisfy {
                    $0["resolved"] == true && $0["snoozed"] == false && $0["snooze_until"] == .null && $0["resolved_on"]?.stringValue != nil
                })
            let operatorChanges = try await w.pool.query(
                "SELECT change, count(*)::int AS n FROM plugin_alert.changes WHERE cause = 'operator' GROUP BY change ORDER BY change"
            ).rows
            #expect(operatorChanges.map { "\($0.string("change")):\($0.int("n"))" } == ["resolved:6", "snoozed:3", "unsnoozed:1"])
            // A resolved subject raises a new alert on its next failure (the agent reported
            // in between: the status the host announced last is online again).
            try await w.pool.query("UPDATE agents SET status_announced = 'online' WHERE agent_id = $1", [w.agentID])
            try await w.lastSeen(w.agentID, minutesAgo: 10)
            #expect(try await w.host.eventually { try await w.availability(w.agentID).filter { $0["resolved"] == false }.count == 1 })
        }
    }

    @Test func passedSnoozes_endByTheHourlyJob() async throws {
        try await Self.with { w in
            _ = try await Self.manyAlerts(w)
            let ids = try await w.alerts().compactMap { $0["id"]?.intValue }
            #expect(
                try await w.host.request(
                    .post, "/alerts/bulk/", as: .token(w.admin), json: ["bulk_action": "snooze", "alerts": .init(ids), "snooze_days": 3]
                ).json == "ok")
            // Two snoozes have passed; the job, due now, ends those and keeps the others.
            try await w.pool.query(
                "UPDATE plugin_alert.alerts SET snooze_until = now() - interval '1 minute' WHERE id = ANY($1::bigint[])",
                ["{\(ids[0]),\(ids[1])}"])
            let schedule = try #require(
                try await w.pool.query("SELECT spec::text AS spec FROM schedules WHERE id LIKE '%alert-unsnooze'").first)
            #expect(schedule.string("spec").contains("10 * * * *"), "\(schedule.string("spec"))")
            let scheduler = w.host.server.scheduler
            let running = Task { try await scheduler.run() }
            defer { running.cancel() }
            try await w.pool.query("UPDATE schedules SET next_run = now() WHERE id LIKE '%alert-unsnooze'")
            scheduler.poke()
            #expect(try await w.host.eventually(10) { try await w.alerts(["snoozedFilter": false]).count == 2 })
            let unsnoozed = try await w.alerts(["snoozedFilter": false]).compactMap { $0["id"]?.intValue }
            #expect(Set(unsnoozed) == [ids[0], ids[1]])
            #expect(try await w.alerts().filter { $0["snoozed"] == true }.allSatisfy { $0["snooze_until"]?.stringValue != nil })
            #expect(
                try await w.pool.query("SELECT count(*)::int AS n FROM plugin_alert.changes WHERE cause = 'alert.unsnooze'").first?.int("n")
                    == 2)
            running.cancel()
            _ = try? await running.value
        }
    }

    @Test func eventsOvertakingEachOther_leaveTheLastWordToTheNewest() async throws {
        try await Self.with { w in
            let id = try await w.check(["check_type": "ping", "ip": "10.0.0.7", "fails_b4_alert": 1, "dashboard_alert": true])
            // Fail and recover ten times without waiting: the events reach the plugin
            // concurrently, in any order.
            for _ in 1...10 {
                try await w.submit(id, failing: true)
                try await w.submit(id, failing: false)
            }
            #expect(
                try await w.host.eventually(10) { w.events.named("check.resolved").filter { $0["check_id"]?.intValue == id }.count == 10 })
            let eventIDs = w.events.named("check.resolved").compactMap { $0["event_id"]?.intValue }
            let last = try #require(eventIDs.max())
            // Once the newest event is applied, no older one can change anything: no alert is open.
            #expect(
                try await w.host.eventually(10) {
                    try await w.pool.query("SELECT seq FROM plugin_alert.subject_events WHERE subject = $1", ["check:\(w.agentID):\(id)"])
                        .first?.int("seq") == last
                })
            #expect(try await w.alerts(check: id).allSatisfy { $0["resolved"] == true })
            let open = try await w.pool.query("SELECT count(*)::int AS n FROM plugin_alert.alerts WHERE NOT resolved").first?.int("n")
            #expect(open == 0)
        }
    }

    /// A check.failed the checks plugin had queued when the host stopped never reached the
    /// alerts plugin (events live in the process): at the next start (core.started) the checks
    /// plugin publishes the events of the minutes before again. The lost one raises its alert;
    /// the ones already applied change nothing, however often they come.
    @Test func checkEventsLostWithAStop_arePublishedAgainAtStart_andApplyOnce() async throws {
        try await Self.with { w in
            let lost = try await w.check(["check_type": "ping", "ip": "10.0.0.5", "fails_b4_alert": 1, "dashboard_alert": true])
            let kept = try await w.check(["check_type": "ping", "ip": "10.0.0.6", "fails_b4_alert": 1, "dashboard_alert": true])
            try await w.submit(lost, failing: true)
            try await w.submit(kept, failing: true)
            #expect(try await w.host.eventually(10) { try await w.alerts().count == 2 })
            // As if the host had died before the alerts plugin handled the first check.failed.
            try await w.pool.query("DELETE FROM plugin_alert.subject_events WHERE subject = $1", ["check:\(w.agentID):\(lost)"])
            try await w.pool.query("DELETE FROM plugin_alert.alerts WHERE assigned_check = $1", [String(lost)])
            #expect(try await w.alerts(check: lost).isEmpty)
            let changes = try await w.pool.query("SELECT count(*)::int AS n FROM plugin_alert.changes").first?.int("n")

            for _ in 1...2 { w.host.server.context.events.publish("core.started", [:]) }
            #expect(try await w.host.eventually(10) { try await w.alerts(check: lost).count == 1 })
            // The kept check's event came twice more and raised nothing new.
            #expect(
                try await w.host.eventually(10) {
                    w.events.named("check.failed").filter { $0["check_id"]?.intValue == kept }.count == 3
                })
            #expect(try await w.alerts(check: kept).count == 1)
            let after = try await w.pool.query("SELECT count(*)::int AS n FROM plugin_alert.changes").first?.int("n")
            #expect(after == (changes ?? 0) + 1, "only the lost event changed anything: \(String(describing: changes)) -> \(String(describing: after))")
        }
    }

    /// A check-failure task runs once per failure: the checks plugin's replay at start
    /// (core.started) publishes check.failed again with the same event_id, which the scripting
    /// plugin recognises. The agent is offline, so each run is a queued runtask.
    @Test func checkFailureTask_runsOncePerFailure_thoughTheEventIsPublishedAgain() async throws {
        try await Self.with(scripting: true, bus: true) { w in
            let check = try await w.check(["check_type": "ping", "ip": "10.0.0.8", "fails_b4_alert": 1])
            let created = try await w.host.request(
                .post, "/tasks/", as: .token(w.admin),
                json: [
                    "agent_id": .string(w.agentID), "name": "Restart the gateway", "task_type": "checkfailure", "assigned_check": .init(check),
                    "actions": [["type": "cmd", "command": "restart", "shell": "/bin/bash", "timeout": 15]],
                ])
            #expect(created.status == 200, "\(created.text)")
            try await w.lastSeen(w.agentID, minutesAgo: 120)
            @Sendable func runs() async throws -> Int {
                try await w.pool.query(
                    "SELECT count(*)::int AS n FROM pending_actions WHERE agent_id = $1 AND command->>'func' = 'runtask'", [w.agentID]
                ).first?.int("n") ?? 0
            }
            try await w.submit(check, failing: true)
            #expect(try await w.host.eventually(10) { try await runs() == 1 })
            for _ in 1...2 { w.host.server.context.events.publish("core.started", [:]) }
            #expect(try await w.host.eventually(10) { w.events.named("check.failed").count == 3 })
            // A failure of its own after a recovery: a second run, and no third.
            try await w.submit(check, failing: false)
            try await w.submit(check, failing: true)
            #expect(try await w.host.eventually(10) { try await runs() == 2 })
            #expect(try await runs() == 2)
        }
    }

    @Test func scopedOperator_seesOnlyAlertsOfItsClients() async throws {
        try await Self.with { w in
            let (other, _) = try await Self.manyAlerts(w)
            let scoped = try await w.host.user(
                "alerts-scoped", permissions: ["can_list_alerts", "can_manage_alerts"], clients: [w.client], admin: w.admin)
            let listed = try await w.alerts(as: scoped)
            #expect(listed.count == 5 && !listed.contains { $0["agent_id"]?.stringValue == other.agent })
            let top = try await w.host.request(.patch, "/alerts/", as: .token(scoped), json: ["top": 10])
            #expect(top.json["alerts_count"] == 5)
            #expect(try await w.alerts(["clientFilter": [.init(other.client)]], as: scoped).isEmpty)

            let theirs = try #require(try await w.availability(other.agent).first?["id"]?.intValue)
            for (method, body) in [(HTTPRequestMethod.get, JSON.null), (.put, ["type": "resolve"]), (.delete, .null)] {
                let reply = try await w.host.request(method, "/alerts/\(theirs)/", as: .token(scoped), json: body == .null ? nil : body)
                #expect(reply.status == 404 && reply.json["detail"] == "No Alert matches the given query.", "\(method): \(reply.text)")
            }
            // Bulk: the other client's alert is left alone, the caller's own are resolved.
            let ids = try await w.alerts().compactMap { $0["id"]?.intValue }
            #expect(
                try await w.host.request(
                    .post, "/alerts/bulk/", as: .token(scoped), json: ["bulk_action": "resolve", "alerts": .init(ids)]
                ).json == "ok")
            #expect(try await w.availability(other.agent).first?["resolved"] == false)
            #expect(try await w.alerts().filter { $0["resolved"] == true }.count == 5)

            // Scope follows the agent as it is now: moved into the caller's site, its alert is
            // the caller's; deleted, its alerts go with it.
            try await w.edit(agent: other.agent, ["site": .init(w.site)])
            #expect(try await w.host.request(.get, "/alerts/\(theirs)/", as: .token(scoped)).status == 200)
            #expect(try await w.alerts(as: scoped).contains { $0["id"]?.intValue == theirs })
            #expect(try await w.host.request(.delete, "/agents/\(other.agent)/", as: .token(w.admin)).status == 200)
            #expect(try await w.host.eventually { try await w.host.request(.get, "/alerts/\(theirs)/", as: .token(w.admin)).status == 404 })
            #expect(try await w.alerts().count == 5)

            // A role limited to the site sees the same; one without can_list_alerts nothing.
            let bySite = try await w.host.user("alerts-site", permissions: ["can_list_alerts"], sites: [w.site], admin: w.admin)
            #expect(try await w.alerts(as: bySite).count == 5)
            let none = try await w.host.user("alerts-none", permissions: ["can_list_checks"], admin: w.admin)
            #expect(try await w.host.request(.patch, "/alerts/", as: .token(none), json: [:]).status == 403)
            #expect(
                try await w.host.request(.post, "/alerts/bulk/", as: .token(bySite), json: ["bulk_action": "resolve", "alerts": []]).status
                    == 403)
        }
    }

    @Test func badInput_isRefusedWith400NamingTheField() async throws {
        try await Self.with { w in
            let id = try await w.check(["check_type": "ping", "ip": "10.0.0.6", "fails_b4_alert": 1, "dashboard_alert": true])
            try await w.submit(id, failing: true)
            #expect(try await w.host.eventually { try await w.alerts(check: id).count == 1 })
            let alert = try #require(try await w.alerts(check: id).first?["id"]?.intValue)
            let cases: [(String, String, JSON?, String?, String)] = [
                ("PATCH", "/alerts/", ["top": "ten"], nil, "top"),
                ("PATCH", "/alerts/", ["top": 100_000], nil, "top"),
                ("PATCH", "/alerts/", ["timeFilter": -1], nil, "timeFilter"),
                ("PATCH", "/alerts/", ["clientFilter": "1"], nil, "clientFilter"),
                ("PATCH", "/alerts/", ["clientFilter": [0]], nil, "clientFilter"),
                ("PATCH", "/alerts/", ["severityFilter": ["fatal"]], nil, "severityFilter"),
                ("PATCH", "/alerts/", ["typeFilter": ["outage"]], nil, "typeFilter"),
                ("PATCH", "/alerts/", ["resolvedFilter": "no"], nil, "resolvedFilter"),
                ("PATCH", "/alerts/", ["page": 0], nil, "page"),
                ("PATCH", "/alerts/", ["page_size": 5000], nil, "page_size"),
                ("PATCH", "/alerts/", nil, "{not json", "JSON parse error"),
                ("PATCH", "/alerts/", [1, 2], nil, "JSON object"),
                ("PUT", "/alerts/\(alert)/", ["type": "snooze"], nil, "Missing 'snoozed_days' when trying to snooze alert"),
                ("PUT", "/alerts/\(alert)/", ["type": "snooze", "snooze_days": 100_000], nil, "snooze_days"),
                ("PUT", "/alerts/\(alert)/", ["type": "snooze", "snooze_days": "2"], nil, "snooze_days"),
                ("PUT", "/alerts/\(alert)/", ["type": "close"], nil, "There was an error in the request data"),
                ("PUT", "/alerts/\(alert)/", ["severity": "fatal"], nil, "severity"),
                ("PUT", "/alerts/\(alert)/", ["hidden": "yes"], nil, "hidden"),
                ("PUT", "/alerts/\(alert)/", ["message": 5], nil, "message"),
                ("GET", "/alerts/abc/", nil, nil, "pk"),
                ("GET", "/alerts/0/", nil, nil, "pk"),
                ("POST", "/alerts/bulk/", [:], nil, "The request was invalid"),
                ("POST", "/alerts/bulk/", ["bulk_action": "delete", "alerts": [1]], nil, "The request was invalid"),
                ("POST", "/alerts/bulk/", ["bulk_action": "snooze", "alerts": [1]], nil, "The request was invalid"),
                ("POST", "/alerts/bulk/", ["bulk_action": "snooze", "alerts": [1], "snooze_days": 0], nil, "snooze_days"),
                ("POST", "/alerts/bulk/", ["bulk_action": "resolve", "alerts": "all"], nil, "alerts"),
                ("POST", "/alerts/bulk/", ["bulk_action": "resolve", "alerts": [-4]], nil, "alerts"),
            ]
            for (method, path, json, raw, field) in cases {
                let reply = try await w.host.request(.init(method)!, path, as: .token(w.admin), json: json, rawBody: raw)
                #expect(
                    reply.status == 400 && (reply.json["detail"]?.stringValue ?? "").contains(field),
                    "\(method) \(path) \(json.map { "\($0)" } ?? raw ?? ""): \(reply.status) \(reply.text)")
            }
            #expect(
                try await w.host.request(.get, "/alerts/999999/", as: .token(w.admin)).json["detail"] == "No Alert matches the given query."
            )
            // Nothing refused changed the alert.
            let after = try await w.host.request(.get, "/alerts/\(alert)/", as: .token(w.admin))
            #expect(
                after.json["snoozed"] == false && after.json["severity"] == "warning" && after.json["hidden"] == false
                    && after.json["resolved"] == false, "\(after.text)")
        }
    }
}

private typealias HTTPRequestMethod = HTTPRequest.Method
