import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import GarrisonHost

/// Operator commands end to end: route → AgentCommander → nats-server → an agent stand-in
/// written with nats-py → back, with history, audit and the offline queue.
@Suite struct AgentCommandTests {
    @Test func commands_reachTheAgent_withTheRightShape_andLandInHistory() async throws {
        try await TestHost.withAgentActions(configure: { $0.natsEnabled = true }) { host in
            let bus = try #require(host.server.bus)
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Cmd", admin: admin)
            let agentID = BusTests.agentID()
            let token = try await BusTests.seedAgent(host, agentID, site: site)
            try await host.server.storage.pool.query(
                "UPDATE agents SET plat = 'linux', last_seen = now(), token_digest = $2 WHERE agent_id = $1",
                [agentID, Crypto.sha256Hex(token)])
            await bus.agentsChanged()
            let agent = try await CommandAgent.start(url: try #require(bus.supervisor).url, agentID: agentID, token: token)
            defer { agent.stop() }

            let ran = try await host.request(
                .post, "/agents/\(agentID)/cmd/", as: .token(admin), json: ["shell": "/bin/bash", "cmd": "uptime", "timeout": 5])
            #expect(ran.status == 200, "\(ran.text)")
            #expect(ran.json == "ran: uptime with /bin/bash")
            let procs = try await host.request(.get, "/agents/\(agentID)/processes/", as: .token(admin))
            #expect(procs.json.arrayValue?.first?["name"] == "sshd")
            #expect(try await host.request(.delete, "/agents/\(agentID)/processes/812/", as: .token(admin)).status == 200)
            let missing = try await host.request(.delete, "/agents/\(agentID)/processes/99/", as: .token(admin))
            #expect(missing.status == 400 && missing.json["detail"] == "process not found")
            #expect(try await host.request(.get, "/agents/\(agentID)/eventlog/System/1/", as: .token(admin)).json.arrayValue?.count == 1)
            #expect(try await host.request(.get, "/agents/\(agentID)/eventlog/Bogus/1/", as: .token(admin)).status == 400)
            #expect(try await host.request(.post, "/agents/\(agentID)/reboot/", as: .token(admin)).status == 200)
            #expect(try await host.request(.post, "/agents/\(agentID)/wmi/", as: .token(admin)).status == 200)
            #expect(
                try await host.request(.post, "/agents/\(agentID)/recover/", as: .token(admin), json: ["mode": "tacagent"]).status == 400)

            try await eventually("wmi arrived") { agent.received.contains { $0.command["func"] == "wmi" } }
            let received = agent.received
            let rawcmd = try #require(received.first { $0.command["func"] == "rawcmd" })
            // The agent reads payload as strings, timeout as an int, and reports back with id.
            #expect(rawcmd.command["payload"] == ["command": "uptime", "shell": "/bin/bash"])
            #expect(rawcmd.command["timeout"] == 5 && rawcmd.replied)
            let historyID = try #require(rawcmd.command["id"]?.intValue)
            #expect(received.first { $0.command["func"] == "killproc" }?.command["procpid"] == 812)
            // Functions that never answer are published without a reply subject.
            #expect(received.first { $0.command["func"] == "wmi" }?.replied == false)
            #expect(received.first { $0.command["func"] == "rebootnow" }?.replied == true)

            let history = try await host.request(.get, "/agents/\(agentID)/history/", as: .token(admin))
            let row = try #require(history.json.arrayValue?.first { $0["id"]?.intValue == historyID })
            #expect(row["type"] == "cmd_run" && row["command"] == "uptime" && row["username"] == "admin" && row["status"] == "completed")
            #expect(row["results"] == "ran: uptime with /bin/bash")
            let audit = try await host.server.storage.pool.query(
                "SELECT count(*) AS n FROM audit_log WHERE action = 'execute_command' AND agent_id = $1", [agentID]
            ).first!
            #expect(audit.int("n") == 1)

            // The agent's own histresult completes the row; another agent cannot touch it.
            let result = try await host.request(
                .patch, "/api/v3/\(historyID)/\(agentID)/histresult/", as: .token(token), json: ["results": "final output"])
            #expect(result.status == 200, "\(result.text)")
            let other = BusTests.agentID()
            let otherToken = try await BusTests.seedAgent(host, other, site: site)
            try await host.server.storage.pool.query(
                "UPDATE agents SET token_digest = $2 WHERE agent_id = $1", [other, Crypto.sha256Hex(otherToken)])
            #expect(
                try await host.request(
                    .patch, "/api/v3/\(historyID)/\(agentID)/histresult/", as: .token(otherToken), json: ["results": "x"]
                ).status == 403)
            #expect(
                try await host.request(.patch, "/api/v3/\(historyID)/\(other)/histresult/", as: .token(otherToken), json: ["results": "x"])
                    .status == 404)
            let stored = try await host.server.storage.pool.query("SELECT results FROM agent_history WHERE id = $1", [String(historyID)])
                .first!
            #expect(stored.string("results") == "final output")

            // Deleting the agent sends it `uninstall` (with the Linux script as `code`) first.
            #expect(try await host.request(.delete, "/agents/\(agentID)/", as: .token(admin)).status == 200)
            try await eventually("uninstall arrived") { agent.received.contains { $0.command["func"] == "uninstall" } }
            #expect(
                agent.received.first { $0.command["func"] == "uninstall" }?.command["code"]?.stringValue?.contains("tacticalagent.service")
                    == true)
            #expect(
                try await host.server.storage.pool.query("SELECT count(*) AS n FROM agent_history WHERE agent_id = $1", [agentID]).first?
                    .int("n") == 0)
        }
    }

    @Test func shellRulesProtectTheAgent_andCommandsNeedTheirPermission() async throws {
        try await TestHost.withAgentActions { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Shell", admin: admin)
            try await host.seedAgent("win", hostname: "win-1", site: site)
            try await host.seedAgent("lin", hostname: "lin-1", site: site)
            try await host.server.storage.pool.query("UPDATE agents SET plat = 'linux' WHERE agent_id = 'lin'")
            // Agent 2.9.1 crashes on other Windows shells, and runs "<shell> -c" elsewhere.
            #expect(
                try await host.request(.post, "/agents/win/cmd/", as: .token(admin), json: ["shell": "/bin/bash", "cmd": "dir"]).status
                    == 400)
            #expect(
                try await host.request(
                    .post, "/agents/lin/cmd/", as: .token(admin), json: ["shell": "custom", "custom_shell": "", "cmd": "ls"]
                ).status == 400)
            #expect(
                try await host.request(
                    .post, "/agents/lin/cmd/", as: .token(admin), json: ["shell": "/bin/bash", "cmd": "ls", "timeout": 0]
                ).status == 400)
            // No bus: a clear 503, and nothing pretends to have run.
            let down = try await host.request(.post, "/agents/win/cmd/", as: .token(admin), json: ["shell": "cmd", "cmd": "dir"])
            #expect(down.status == 503)
            let viewer = try await host.user("viewer", permissions: ["can_list_agents"], admin: admin)
            for (method, path) in [
                ("POST", "/agents/win/cmd/"), ("POST", "/agents/win/reboot/"), ("PATCH", "/agents/win/reboot/"),
                ("POST", "/agents/win/shutdown/"),
                ("GET", "/agents/win/processes/"), ("DELETE", "/agents/win/processes/1/"), ("GET", "/agents/win/eventlog/System/1/"),
                ("POST", "/agents/win/recover/"), ("GET", "/agents/win/history/"), ("GET", "/logs/pendingactions/"),
                ("POST", "/agents/update/"),
            ] {
                let reply = try await host.request(.init(rawValue: method)!, path, as: .token(viewer), json: [:])
                #expect(reply.status == 403, "\(method) \(path) answered \(reply.status)")
            }
        }
    }

    @Test func offlineAgents_getQueuedCommands_inOrder_once_whenTheyComeBack() async throws {
        try await TestHost.withAgentActions(configure: { $0.natsEnabled = true }) { host in
            let bus = try #require(host.server.bus)
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Queue", admin: admin)
            let agentID = BusTests.agentID()
            let token = try await BusTests.seedAgent(host, agentID, site: site)
            try await host.server.storage.pool.query(
                "UPDATE agents SET plat = 'linux', goarch = 'amd64', version = '2.8.0', last_seen = now() - interval '1 hour' WHERE agent_id = $1",
                [agentID])
            await bus.agentsChanged()
            let commander = AgentCommander(
                pool: host.server.storage.pool, bus: BusLink(), events: host.server.context.events, pendingLifetime: .seconds(3600),
                logger: host.server.logger)

            // Two scripts and an update while offline: each becomes a pending action.
            let pool = host.server.storage.pool
            let linkedCommander = try #require(Optional(host.server.commander))
            for n in 1...2 {
                let result = try await linkedCommander.run(
                    .init(
                        agentID: agentID,
                        command: AgentCommand("runscript", payload: ["code": "echo \(n)", "shell": "/bin/bash"], fields: ["timeout": 30]),
                        history: .init(type: "script_run", scriptName: "s\(n)"), queueIfOffline: true, username: "admin"))
                guard case .queued = result.outcome else { throw TestFailure("expected queued, got \(result.outcome)") }
            }
            let update = try await host.request(.post, "/agents/update/", as: .token(admin), json: ["agent_ids": [.string(agentID)]])
            #expect(update.json["sent"] == [.string(agentID)])
            // A time that is not one is a 400 naming the field, and queues nothing.
            for bad in ["tomorrow", "2026-13-45T99:99", ""] {
                let refused = try await host.request(
                    .patch, "/agents/\(agentID)/reboot/", as: .token(admin), json: ["datetime": .string(bad)])
                #expect(refused.status == 400 && refused.text.contains("datetime"), "\(bad): \(refused.status) \(refused.text)")
            }
            let later = try await host.request(
                .patch, "/agents/\(agentID)/reboot/", as: .token(admin),
                json: ["datetime": .string(Date().addingTimeInterval(3600).iso8601)])
            #expect(later.status == 200, "\(later.text)")
            let pending = try await host.request(.get, "/logs/pendingactions/?status=pending", as: .token(admin))
            #expect(pending.json.arrayValue?.map { $0["action_type"] } == ["schedreboot", "agentupdate", "runscript", "runscript"])
            // A cancelled action is never sent; a scheduled one waits for its time.
            let rebootID = try #require(later.json["pending_action"]?.intValue)
            #expect(try await host.request(.delete, "/logs/pendingactions/\(rebootID)/", as: .token(admin)).status == 200)
            #expect(try await host.request(.delete, "/logs/pendingactions/\(rebootID)/", as: .token(admin)).status == 400)

            // The agent comes back: its hello raises agent.online, which delivers the queue.
            let agent = try await CommandAgent.start(url: try #require(bus.supervisor).url, agentID: agentID, token: token, hello: true)
            defer { agent.stop() }
            try await eventually("queue delivered") { agent.received.count >= 3 }
            _ = try await commander.sweepPending()  // a second delivery path finds nothing left
            // NATS keeps one connection's messages in order: once the agent answers this ping,
            // every command the host sent before it has arrived, duplicates included.
            let ping = try await linkedCommander.run(.init(agentID: agentID, command: AgentCommand("ping"), username: "admin"))
            #expect(ping.outcome == .reply(.string("pong")))
            let received = agent.received.map { $0.command }.filter { $0["func"] != "ping" }
            #expect(received.map { $0["func"] } == ["runscript", "runscript", "agentupdate"])
            #expect(received.first?["payload"]?["code"] == "echo 1" && received.first?["id"]?.intValue != nil)
            #expect(received.last?["payload"]?["version"] == "2.9.1")
            let states = try await pool.query("SELECT action_type, status FROM pending_actions WHERE agent_id = $1 ORDER BY id", [agentID])
                .rows.map { "\($0.string("action_type")):\($0.string("status"))" }
            #expect(states == ["runscript:completed", "runscript:completed", "agentupdate:completed", "schedreboot:cancelled"])
        }
    }

    @Test func pendingActionsExpire_andStatusEventsAreRaisedOncePerTransition() async throws {
        try await TestHost.withAgentActions { host in
            let admin = try await host.adminToken()
            let (_, site) = try await host.client("Expire", admin: admin)
            let pool = host.server.storage.pool
            try await host.seedAgent("gone", hostname: "gone-1", site: site, lastSeenMinutesAgo: 10)
            try await pool.query("UPDATE agents SET status_announced = 'online' WHERE agent_id = 'gone'")
            try await pool.query(
                "INSERT INTO pending_actions (agent_id, action_type, command, expires_at) VALUES ('gone', 'agentupdate', '{\"func\":\"agentupdate\"}', now() - interval '1 minute')"
            )
            let commander = try #require(Optional(host.server.commander))
            #expect(try await commander.sweepPending().expired == 1)
            #expect(try await pool.query("SELECT status FROM pending_actions WHERE agent_id = 'gone'").first?.string("status") == "expired")

            let seen = NIOLockedValueBox<[String]>([])
            host.server.context.events.subscribe(owner: "test", pattern: "agent.*") { event in
                seen.withLockedValue { $0.append(event.name) }
            }
            let events = host.server.context.events
            #expect(try await AgentStatusWatch.sweep(pool: pool, events: events) == 1)
            #expect(try await AgentStatusWatch.sweep(pool: pool, events: events) == 0)
            try await pool.query("UPDATE agents SET last_seen = now() - interval '2 hours' WHERE agent_id = 'gone'")
            #expect(try await AgentStatusWatch.sweep(pool: pool, events: events) == 1)
            #expect(try await AgentStatusWatch.sweep(pool: pool, events: events) == 0)
            try await eventually("events delivered") { seen.withLockedValue { $0.count } == 2 }
            #expect(seen.withLockedValue { $0 } == ["agent.offline", "agent.overdue"])
        }
    }
}
