import Foundation
import Testing
@testable import GarrisonHost

/// An alert template's script action (Plugins/Alerts/README.md, "Alert actions"; run by
/// Plugins/Scripting): the alerts, checks and scripting plugins on a host with its agent bus,
/// and an emulated agent (Tests/Fixtures/Bus/command_agent.py) that answers runscriptfull;
/// an offline agent's action runs on it (run_on_any).
@Suite struct PluginsAlertActionsTests {
    @Test func scriptAction_runsOnceOnTheAlertsAgent_andItsOutputIsOnTheAlert() async throws {
        let folder = try PluginsAlertsTests.folder(scripting: true)
        defer { folder.cleanUp() }
        try await TestHost.with(configure: { config in
            config.pluginsDirectory = folder.path
            config.natsEnabled = true
            config.pluginCallTimeoutMS = 20_000
        }) { host in
            let events = PluginsAlertsTests.Events()
            host.server.context.events.subscribe(owner: "test", pattern: "alert.*") { event in
                let value = (try? JSON.parse(Data(event.json.utf8))) ?? .null
                events.seen.withLockedValue { $0.append((event.name, value)) }
            }
            let admin = try await host.adminToken()
            let bus = try #require(host.server.bus)
            let (client, site) = try await host.client("Alerts Co", admin: admin)
            let agentID = BusTests.agentID()
            let token = try await BusTests.seedAgent(host, agentID, site: site)
            try await host.server.storage.pool.query(
                """
                UPDATE agents SET plat = 'linux', hostname = 'web-1', last_seen = now(), status_announced = 'online', token_digest = $2
                WHERE agent_id = $1
                """, [agentID, Crypto.sha256Hex(token)])
            await bus.agentsChanged()
            let agent = try await CommandAgent.start(url: try #require(bus.supervisor).url, agentID: agentID, token: token)
            defer { agent.stop() }
            let w = PluginsAlertsTests.World(
                host: host, admin: admin, client: client, site: site, agentID: agentID, agentToken: token, events: events)

            let script = try await host.request(
                .post, "/scripts/", as: .token(admin),
                json: ["name": "Collect logs", "shell": "shell", "code": "#!/bin/sh\necho \"$@\"", "default_timeout": 30])
            #expect(script.status == 200, "\(script.text)")
            let scriptID = try await w.pool.query("SELECT max(id) AS id FROM plugin_scripting.scripts").first!.int("id")
            let template = try await PluginsAlertTemplatesTests.template(
                w,
                [
                    "check_always_alert": true, "action_type": "script", "action": .init(scriptID),
                    "action_args": ["{{agent.hostname}}", "--alert"], "action_timeout": 20,
                ])
            try await PluginsAlertTemplatesTests.assign(w, ["default": .init(template)])

            let check = try await w.check(["check_type": "ping", "name": "gateway", "ip": "10.0.0.1", "fails_b4_alert": 1, "alert_severity": "error"])
            try await w.submit(check, failing: true)
            #expect(try await host.eventually(20) { try await w.alerts(check: check).first?["action_retcode"] == 0 })
            let alert = try #require(try await w.alerts(check: check).first)
            #expect(alert["action_stdout"] == "hi" && alert["action_stderr"] == "" && alert["action_execution_time"] == "0.5000", "\(alert)")
            #expect(alert["action_run"]?.stringValue != nil && alert["resolved_action_run"] == .null)
            let runs = agent.received.filter { $0.command["func"] == "runscriptfull" }
            #expect(runs.count == 1)
            #expect(runs.first?.command["script_args"] == ["'web-1'", "--alert"] && runs.first?.command["timeout"] == 20, "\(runs)")

            // A later failure queues no second action (once per alert).
            try await w.submit(check, failing: true)
            #expect(try await host.eventually { try await w.alerts(check: check).first?["alert_time"] != nil })
            let queued = try await w.pool.query("SELECT count(*) AS n FROM plugin_alert.notifications WHERE channel = 'script'").first!
            #expect(queued.int("n") == 1)
            #expect(try await w.pool.query("SELECT count(*) AS n FROM plugin_scripting.alert_actions").first!.int("n") == 1)
            #expect(agent.received.filter { $0.command["func"] == "runscriptfull" }.count == 1)

            // run_on_any: the alert of an offline agent runs its action on an online agent of the
            // same platform, with the offline agent's variables.
            let offlineID = BusTests.agentID()
            let offlineToken = try await BusTests.seedAgent(host, offlineID, site: site)
            try await host.server.storage.pool.query(
                """
                UPDATE agents SET plat = 'linux', hostname = 'db-1', last_seen = now() - interval '1 hour', status_announced = 'overdue',
                                  token_digest = $2
                WHERE agent_id = $1
                """, [offlineID, Crypto.sha256Hex(offlineToken)])
            let offlineCheck = try await w.check(
                ["check_type": "ping", "name": "gateway", "ip": "10.0.0.1", "fails_b4_alert": 1, "alert_severity": "error"], agent: offlineID)
            try await w.submit(offlineCheck, failing: true, agent: (offlineID, offlineToken))
            #expect(try await host.eventually(20) { try await w.alerts(check: offlineCheck).first?["action_retcode"] == 0 })
            let elsewhere = agent.received.filter { $0.command["func"] == "runscriptfull" }
            #expect(elsewhere.count == 2 && elsewhere.last?.command["script_args"] == ["'db-1'", "--alert"], "\(elsewhere)")
        }
    }
}
