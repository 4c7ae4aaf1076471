import Foundation
import NIOConcurrencyHelpers
import Testing
import ScriptingCore
@testable import GarrisonHost

/// The scripting plugin (Plugins/Scripting), built next to this bundle and loaded from
/// plugins.d by a real host: the library, runs in each output mode against a nats-py agent,
/// the key store and variables, bulk runs over a fleet, automated tasks and the task runner.
@Suite(.serialized) struct PluginsScriptingTests {
    static func folder() throws -> PluginFolder {
        let folder = try PluginFolder()
        let copy = try folder.copyBuilt("libScriptingPlugin.so")
        try folder.write(
            "40-scripting.toml",
            "library = \"\(copy)\"\nenabled = true\nrequired = true\n\n[settings]\ndeno_default_permissions = \"--allow-net\"\n")
        return folder
    }

    static func with(nats: Bool, _ body: @Sendable (TestHost) async throws -> Void) async throws {
        let folder = try folder()
        defer { folder.cleanUp() }
        try await TestHost.with(
            configure: { config in
                config.pluginsDirectory = folder.path
                config.natsEnabled = nats
                config.databasePoolSize = 8
            }, body)
    }

    /// Quotes, newlines, tabs, backslashes, NUL-free control text and non-ASCII, then padded
    /// to 1 MiB.
    static let awkward = "echo 'single' \"double\" `tick` $HOME \\ back\r\n\ttab ünïcødé 中文 😀 {{not_a_snippet}} }} {{\n"
    static var big: String {
        var text = awkward
        while text.utf8.count < 1 << 20 { text += awkward }
        return text
    }

    /// A Tactical RMM client sends and reads the body as script_body.
    @Test func scripts_takeAndAnswerTacticalRMMsScriptBody() async throws {
        try await Self.with(nats: false) { host in
            let admin = try await host.adminToken()
            let created = try await host.request(
                .post, "/scripts/", as: .token(admin), json: ["name": "From TRMM", "shell": "powershell", "script_body": "Write-Output 1"])
            #expect(created.status == 200, "\(created.text)")
            let id = try #require(created.json["id"]?.intValue)
            let read = try await host.request(.get, "/scripts/\(id)/", as: .token(admin))
            #expect(read.json["script_body"] == "Write-Output 1" && read.json["code"] == "Write-Output 1", "\(read.text)")
            let edited = try await host.request(
                .put, "/scripts/\(id)/", as: .token(admin), json: ["name": "From TRMM", "shell": "powershell", "script_body": "Write-Output 2"])
            #expect(edited.status == 200, "\(edited.text)")
            #expect(try await host.request(.get, "/scripts/\(id)/", as: .token(admin)).json["script_body"] == "Write-Output 2")
            let neither = try await host.request(.post, "/scripts/", as: .token(admin), json: ["name": "No body", "shell": "cmd"])
            #expect(neither.status == 400 && neither.text.contains("script_body"), "\(neither.text)")
        }
    }

    @Test func library_roundTripsBigAwkwardScripts_exportsAndImports_andNeedsPermissions() async throws {
        try await Self.with(nats: false) { host in
            let admin = try await host.adminToken()
            let code = Self.big
            let args: [JSON] = ["it's \"quoted\"", "line1\nline2", "ünï 😀"]
            let created = try await host.request(
                .post, "/scripts/", as: .token(admin),
                json: [
                    "name": "Big ünï", "shell": "shell", "code": .string(code), "args": .array(args), "env_vars": ["A=b=c", "Q='x'"],
                    "category": "Tests", "default_timeout": 120, "supported_platforms": ["linux", "darwin"],
                ])
            #expect(created.status == 200, "\(created.text.prefix(300))")
            let id = try #require(created.json["id"]?.intValue)
            let read = try await host.request(.get, "/scripts/\(id)/", as: .token(admin))
            #expect(read.json["code"]?.stringValue == code)
            #expect(read.json["args"] == .array(args) && read.json["env_vars"] == ["A=b=c", "Q='x'"])
            #expect(read.json["supported_platforms"] == ["linux", "darwin"] && read.json["default_timeout"] == 120)
            #expect(read.json["script_body"]?.stringValue == code)
            let download = try await host.request(.get, "/scripts/\(id)/download/", as: .token(admin))
            #expect(download.json["filename"] == "Big ünï.sh" && download.json["code"]?.stringValue == code)

            // Export, change the stored script, import the export: the original comes back.
            let export = try await host.request(.get, "/scripts/export/", as: .token(admin))
            #expect(export.status == 200)
            let again = try await host.request(.get, "/scripts/export/", as: .token(admin))
            #expect(export.text == again.text, "two exports of one library are the same bytes")
            #expect(
                try await host.request(
                    .put, "/scripts/\(id)/", as: .token(admin), json: ["name": "Big ünï", "shell": "python", "code": "print(1)"]
                ).status == 200)
            let imported = try await host.request(.post, "/scripts/import/", as: .token(admin), rawBody: export.text)
            #expect(imported.status == 200 && imported.json["scripts"] == 1, "\(imported.text)")
            let restored = try await host.request(.get, "/scripts/\(id)/", as: .token(admin))
            #expect(
                restored.json["code"]?.stringValue == code && restored.json["shell"] == "shell" && restored.json["args"] == .array(args))

            #expect(
                try await host.request(.post, "/scripts/", as: .token(admin), json: ["name": "Big ünï", "shell": "cmd", "code": "x"]).status
                    == 400)
            #expect(
                try await host.request(.post, "/scripts/", as: .token(admin), json: ["name": "Bad", "shell": "zsh", "code": "x"]).status
                    == 400)
            #expect(
                try await host.request(
                    .post, "/scripts/snippets/", as: .token(admin), json: ["name": "has space", "shell": "cmd", "code": "x"]
                ).status == 400)

            let viewer = try await host.user("viewer", permissions: ["can_list_agents"], admin: admin)
            for (method, path) in [
                ("GET", "/scripts/"), ("POST", "/scripts/"), ("GET", "/scripts/\(id)/download/"), ("POST", "/scripts/import/"),
                ("POST", "/agents/x/runscript/"), ("POST", "/agents/actions/bulk/"), ("GET", "/tasks/"), ("POST", "/tasks/1/run/"),
                ("GET", "/core/keystore/"), ("POST", "/core/keystore/"), ("GET", "/agents/x/notes/"),
            ] {
                let reply = try await host.request(.init(rawValue: method)!, path, as: .token(viewer), json: [:])
                #expect(reply.status == 403, "\(method) \(path) answered \(reply.status)")
            }
            let lister = try await host.user("lister", permissions: ["can_list_scripts"], admin: admin)
            #expect(try await host.request(.get, "/scripts/", as: .token(lister)).status == 200)
            #expect(try await host.request(.delete, "/scripts/\(id)/", as: .token(lister)).status == 403)

            // Deleting: Tactical RMM's answer, then 404 for what is gone, and the audit names it.
            #expect(try await host.request(.delete, "/scripts/\(id)/", as: .token(admin)).json == "Big ünï was deleted")
            #expect(try await host.request(.delete, "/scripts/\(id)/", as: .token(admin)).status == 404)
            let snippet = try #require(
                try await host.request(.post, "/scripts/snippets/", as: .token(admin), json: ["name": "gone", "shell": "cmd", "code": "x"])
                    .json["id"]?.intValue)
            #expect(try await host.request(.delete, "/scripts/snippets/\(snippet)/", as: .token(admin)).json == "gone was deleted")
            let missing = try await host.request(.delete, "/scripts/snippets/\(snippet)/", as: .token(admin))
            #expect(missing.status == 404 && missing.text.contains("No such snippet"), "\(missing.text)")
            try await eventually("both deletes audited") {
                try await host.server.storage.pool.query(
                    """
                    SELECT count(*)::int AS n FROM audit_log WHERE action IN ('scripting.script_delete', 'scripting.snippet_delete')
                    """
                ).first?.int("n") == 2
            }
        }
    }

    /// A linux agent answering through the nats-py stand-in, a script using snippets and every
    /// kind of variable, and a key store value that needs quoting.
    struct Fixture {
        let agentID: String
        let token: String
        let scriptID: Int
        let agent: CommandAgent
    }

    static func fixture(_ host: TestHost, admin: String) async throws -> Fixture {
        let bus = try #require(host.server.bus)
        let (_, site) = try await host.client("Acme ü", admin: admin)
        let agentID = BusTests.agentID()
        let token = try await BusTests.seedAgent(host, agentID, site: site)
        try await host.server.storage.pool.query(
            """
            UPDATE agents SET plat = 'linux', hostname = 'web 1', last_seen = now(), token_digest = $2, custom_fields = '{"Rack": "R 7"}' WHERE agent_id = $1
            """, [agentID, Crypto.sha256Hex(token)])
        await bus.agentsChanged()
        #expect(
            try await host.request(.post, "/core/keystore/", as: .token(admin), json: ["name": "api_key", "value": "it's a secret"]).status
                == 200)
        #expect(
            try await host.request(
                .post, "/scripts/snippets/", as: .token(admin), json: ["name": "greet", "shell": "shell", "code": "echo \"hi ü\""]
            ).status == 200)
        let script = try await host.request(
            .post, "/scripts/", as: .token(admin),
            json: [
                "name": "Vars", "shell": "shell", "code": "#!/bin/sh\n{{greet}}\n{{ unknown_snippet }}\necho \"$@\"",
                "args": ["{{agent.hostname}}", "--key={{global.api_key}}", "{{client.name}}", "{{agent.Rack}}", "plain"],
                "env_vars": ["SITE={{site.name}}", "KEY={{global.api_key}}"], "default_timeout": 30,
            ])
        #expect(script.status == 200, "\(script.text)")
        let agent = try await CommandAgent.start(url: try #require(bus.supervisor).url, agentID: agentID, token: token)
        return Fixture(
            agentID: agentID, token: token, scriptID: try #require(script.json["scriptID"]?.intValue ?? script.json["id"]?.intValue),
            agent: agent)
    }

    @Test func runScript_inEveryOutputMode_resolvesVariablesAndSnippets_andQueuesForOfflineAgents() async throws {
        try await Self.with(nats: true) { host in
            let admin = try await host.adminToken()
            let f = try await Self.fixture(host, admin: admin)
            defer { f.agent.stop() }
            let pool = host.server.storage.pool

            // wait: the agent's answer comes back; the envelope is runscript exactly.
            let waited = try await host.request(
                .post, "/agents/\(f.agentID)/runscript/", as: .token(admin), json: ["script": .init(f.scriptID), "output": "wait"])
            #expect(waited.status == 200 && waited.json == "ok", "\(waited.text)")
            let sent = try #require(f.agent.received.first { $0.command["func"] == "runscript" })
            #expect(sent.replied)
            let cmd = sent.command
            #expect(cmd["payload"] == ["code": "#!/bin/sh\necho \"hi ü\"\n{{ unknown_snippet }}\necho \"$@\"", "shell": "shell"])
            #expect(cmd["script_args"] == ["'web 1'", "--key='it'\\''s a secret'", "'Acme ü'", "'R 7'", "plain"])
            #expect(cmd["env_vars"] == ["SITE=HQ", "KEY=it's a secret"])
            #expect(cmd["timeout"] == 30 && cmd["run_as_user"] == false && cmd["deno_default_permissions"] == "--allow-net")
            #expect(cmd["id"]?.intValue != nil && cmd["nushell_enable_config"] == false)
            let history = try await pool.query(
                "SELECT type, script_name, status, results FROM agent_history WHERE id = $1", [String(cmd["id"]!.intValue!)]
            ).first!
            #expect(
                history.string("type") == "script_run" && history.string("script_name") == "Vars" && history.string("status") == "completed"
            )

            // note and collector: the output lands in a note and in a custom field.
            #expect(
                try await host.request(
                    .post, "/agents/\(f.agentID)/runscript/", as: .token(admin), json: ["script": .init(f.scriptID), "output": "note"]
                ).json == "ok")
            let notes = try await host.request(.get, "/agents/\(f.agentID)/notes/", as: .token(admin))
            #expect(notes.json.arrayValue?.map { $0["note"] } == ["ok"] && notes.json.arrayValue?.first?["username"] == "admin")
            let collected = try await host.request(
                .post, "/agents/\(f.agentID)/runscript/", as: .token(admin),
                json: ["script": .init(f.scriptID), "output": "collector", "custom_field": "Last run"])
            #expect(collected.json == "ok")
            let fields = try await pool.query("SELECT custom_fields->>'Last run' AS v FROM agents WHERE agent_id = $1", [f.agentID]).first!
            #expect(fields.optionalString("v") == "ok")
            #expect(
                try await host.request(
                    .post, "/agents/\(f.agentID)/runscript/", as: .token(admin), json: ["script": .init(f.scriptID), "output": "collector"]
                ).status == 400)

            // forget: published without a reply subject; the agent's histresult fills history.
            let forgot = try await host.request(
                .post, "/agents/\(f.agentID)/runscript/", as: .token(admin),
                json: ["script": .init(f.scriptID), "output": "forget", "args": ["only"]])
            #expect(forgot.status == 200 && forgot.json == "Vars will now be run on web 1")
            try await eventually("forget arrived") { f.agent.received.contains { $0.command["script_args"] == ["only"] } }
            let fire = try #require(f.agent.received.first { $0.command["script_args"] == ["only"] })
            #expect(fire.replied == false)
            let historyID = try #require(fire.command["id"]?.intValue)
            let report = try await host.request(
                .patch, "/api/v3/\(historyID)/\(f.agentID)/histresult/", as: .token(f.token),
                json: ["script_results": ["stdout": "done", "stderr": "", "retcode": 0, "execution_time": 0.2, "id": .init(historyID)]])
            #expect(report.status == 200)
            try await eventually("history completed") {
                try await pool.query("SELECT status FROM agent_history WHERE id = $1", [String(historyID)]).first?.string("status")
                    == "completed"
            }

            // Variables that do not exist refuse the run; so does a script for another platform.
            let bad = try await host.request(
                .post, "/agents/\(f.agentID)/runscript/", as: .token(admin),
                json: ["script": .init(f.scriptID), "args": ["{{agent.nope}}"]])
            #expect(bad.status == 400 && bad.json["detail"] == "Unknown variable {{agent.nope}}.")

            // An offline agent: queued as a pending action, not failed.
            try await pool.query("UPDATE agents SET last_seen = now() - interval '1 hour' WHERE agent_id = $1", [f.agentID])
            let queued = try await host.request(
                .post, "/agents/\(f.agentID)/runscript/", as: .token(admin), json: ["script": .init(f.scriptID), "output": "wait"])
            #expect(queued.status == 200 && queued.json["status"] == "queued", "\(queued.text)")
            let pending = try await pool.query(
                "SELECT action_type, status FROM pending_actions WHERE id = $1",
                [String(try #require(queued.json["pending_action_id"]?.intValue))]
            ).first!
            #expect(pending.string("action_type") == "runscript" && pending.string("status") == "pending")
            // The ABI's audit is queued for writing, so the last run's entry may land just after its answer.
            try await eventually("every run audited") {
                try await pool.query(
                    "SELECT count(*) AS n FROM audit_log WHERE action = 'scripting.run_script' AND agent_id = $1", [f.agentID]
                ).first!.int("n") >= 5
            }
        }
    }

    @Test func bigAwkwardBodiesAndArguments_reachTheAgentUnchanged() async throws {
        try await Self.with(nats: true) { host in
            let admin = try await host.adminToken()
            let f = try await Self.fixture(host, admin: admin)
            defer { f.agent.stop() }
            let code = Self.big
            let args = ["it's \"quoted\"", "line1\nline2", "ünï 😀", "{{ not a var }}"]
            let created = try await host.request(
                .post, "/scripts/", as: .token(admin), json: ["name": "Big", "shell": "python", "code": .string(code)])
            let id = try #require(created.json["id"]?.intValue)
            let ran = try await host.request(
                .post, "/agents/\(f.agentID)/runscript/", as: .token(admin),
                json: ["script": .init(id), "output": "forget", "args": .array(args.map(JSON.string))])
            #expect(ran.status == 200, "\(ran.text)")
            try await eventually("big script arrived") { f.agent.received.contains { $0.command["payload"]?["shell"] == "python" } }
            let received = try #require(f.agent.received.first { $0.command["payload"]?["shell"] == "python" }).command
            #expect(received["payload"]?["code"]?.stringValue == code)
            #expect(received["script_args"] == .array(args.map(JSON.string)))
        }
    }

    @Test func bulkScript_overAThousandAgents_answersAtOnce_queuesTheOffline_andStoresEveryResult() async throws {
        try await Self.with(nats: true) { host in
            let bus = try #require(host.server.bus)
            let supervisor = try #require(bus.supervisor)
            let admin = try await host.adminToken()
            let (client, _) = try await host.client("Fleet", admin: admin)
            let pool = host.server.storage.pool
            // 1,000 linux servers, every tenth offline, and 50 windows ones the filter leaves out.
            try await pool.query(
                """
                INSERT INTO agents (agent_id, hostname, site_id, client_id, plat, monitoring_type, last_seen)
                SELECT 'fleet' || lpad(g::text, 5, '0'), 'host-' || g, s.id, s.client_id, 'linux', 'server',
                       CASE WHEN g % 10 = 0 THEN NULL ELSE now() END
                FROM generate_series(1, 1000) g, sites s WHERE s.client_id = $1
                """, [String(client)])
            try await pool.query(
                """
                INSERT INTO agents (agent_id, hostname, site_id, client_id, plat, monitoring_type, last_seen)
                SELECT 'win' || g, 'win-' || g, s.id, s.client_id, 'windows', 'server', now() FROM generate_series(1, 50) g, sites s WHERE s.client_id = $1
                """, [String(client)])
            let fleet = try await FleetAgent.start(url: supervisor.url, user: supervisor.hostUser, password: supervisor.hostPassword)
            defer { fleet.stop() }
            let script = try await host.request(
                .post, "/scripts/", as: .token(admin),
                json: ["name": "Fleet", "shell": "shell", "code": "uptime", "args": ["{{agent.hostname}}"]])
            let scriptID = try #require(script.json["id"]?.intValue)

            let started = ContinuousClock.now
            let bulk = try await host.request(
                .post, "/agents/actions/bulk/", as: .token(admin),
                json: [
                    "mode": "script", "target": "client", "client": .init(client), "script": .init(scriptID), "osType": "linux",
                    "monType": "servers", "timeout": 20,
                ])
            let answeredIn = ContinuousClock.now - started
            #expect(bulk.status == 200, "\(bulk.text)")
            #expect(bulk.json["total"] == 1000)
            #expect(answeredIn < .seconds(5), "the POST must not wait for the agents (took \(answeredIn))")
            let bulkID = try #require(bulk.json["bulk_id"]?.intValue)
            try await eventually("bulk finished", timeout: .seconds(60)) {
                let progress = try await host.request(.get, "/agents/actions/bulk/\(bulkID)/?results=false", as: .token(admin))
                return progress.json["finished"] == true
            }
            let progress = try await host.request(.get, "/agents/actions/bulk/\(bulkID)/", as: .token(admin))
            #expect(progress.json["counts"] == ["completed": 900, "queued": 100], "\(progress.json["counts"] ?? .null)")
            let results = try #require(progress.json["results"]?.arrayValue)
            let one = try #require(results.first { $0["agent_id"] == "fleet00001" })
            #expect(one["result"]?["stdout"] == "out fleet00001 'host-1'" && one["history_id"]?.intValue != nil)
            // {{agent.hostname}} is each agent's own (all read in one host call for the run).
            #expect(results.first { $0["agent_id"] == "fleet00777" }?["result"]?["stdout"] == "out fleet00777 'host-777'")
            #expect(fleet.received.filter { $0.function == "runscriptfull" }.count == 900)
            let rows = try await pool.query(
                "SELECT status, count(*) AS n FROM agent_history WHERE origin = $1 GROUP BY status ORDER BY status", ["bulk:\(bulkID)"]
            ).rows
            #expect(rows.map { "\($0.string("status")):\($0.int("n"))" } == ["completed:900", "queued:100"])
            let pending = try await pool.query(
                "SELECT count(*) AS n FROM pending_actions WHERE status = 'pending' AND action_type = 'runscriptfull'"
            ).first!
            #expect(pending.int("n") == 100)

            // A command to an explicit list, with the Linux shell rule enforced per agent.
            let cmd = try await host.request(
                .post, "/agents/actions/bulk/", as: .token(admin),
                json: [
                    "mode": "command", "target": "agents", "agents": ["fleet00001", "fleet00002", "win1"], "cmd": "echo {{agent.hostname}}",
                    "shell": "/bin/bash", "timeout": 10,
                ])
            let cmdID = try #require(cmd.json["bulk_id"]?.intValue)
            try await eventually("command finished") {
                try await host.request(.get, "/agents/actions/bulk/\(cmdID)/?results=false", as: .token(admin)).json["finished"] == true
            }
            let cmdResults = try #require(
                try await host.request(.get, "/agents/actions/bulk/\(cmdID)/", as: .token(admin)).json["results"]?.arrayValue)
            #expect(cmdResults.first { $0["agent_id"] == "fleet00001" }?["result"] == "ran echo 'host-1'")
            #expect(cmdResults.first { $0["agent_id"] == "win1" }?["status"] == "error")
        }
    }

    /// A role limited to some clients runs scripts, bulk actions and tasks only there: other
    /// agents answer 404 as if they did not exist, and a bulk run leaves them out.
    @Test func aScopedRole_reachesOnlyTheAgentsOfItsClients() async throws {
        try await Self.with(nats: false) { host in
            let admin = try await host.adminToken()
            let (mine, mySite) = try await host.client("Mine", admin: admin)
            let (_, otherSite) = try await host.client("Theirs", admin: admin)
            try await host.seedAgent("mine-1", hostname: "m1", site: mySite)
            try await host.seedAgent("theirs-1", hostname: "t1", site: otherSite)
            let scoped = try await host.user(
                "scoped",
                permissions: ["can_run_scripts", "can_run_bulk", "can_list_autotasks", "can_manage_autotasks", "can_run_autotasks"],
                clients: [mine], admin: admin)
            let script = try #require(
                try await host.request(.post, "/scripts/", as: .token(admin), json: ["name": "S", "shell": "shell", "code": "true"]).json[
                    "id"]?.intValue)
            #expect(
                try await host.request(
                    .post, "/agents/theirs-1/runscript/", as: .token(scoped), json: ["script": .init(script), "output": "forget"]
                ).status == 404)
            #expect(
                try await host.request(.post, "/scripts/theirs-1/test/", as: .token(scoped), json: ["code": "true", "shell": "shell"])
                    .status == 404)

            // Bulk over "all": only the scoped client's agent is counted.
            let bulk = try await host.request(
                .post, "/agents/actions/bulk/", as: .token(scoped), json: ["mode": "script", "target": "all", "script": .init(script)])
            #expect(bulk.status == 200 && bulk.json["total"] == 1, "\(bulk.text)")
            let adminBulk = try await host.request(
                .post, "/agents/actions/bulk/", as: .token(admin), json: ["mode": "script", "target": "all", "script": .init(script)])
            #expect(adminBulk.json["total"] == 2)
            // A run started by someone else is not the scoped role's to read.
            #expect(
                try await host.request(.get, "/agents/actions/bulk/\(adminBulk.json["bulk_id"]?.intValue ?? 0)/", as: .token(scoped)).status
                    == 404)
            #expect(
                try await host.request(.get, "/agents/actions/bulk/\(bulk.json["bulk_id"]?.intValue ?? 0)/", as: .token(scoped)).status
                    == 200)

            // Tasks: the other client's task is neither listed nor readable, editable or runnable.
            func task(_ agent: String) async throws -> Int {
                let created = try await host.request(
                    .post, "/tasks/", as: .token(admin),
                    json: [
                        "agent_id": .string(agent), "name": .string("T \(agent)"), "task_type": "manual",
                        "actions": [["type": "cmd", "command": "true", "shell": "/bin/sh", "timeout": 5]],
                    ])
                return try #require(created.json["id"]?.intValue, "\(created.text)")
            }
            let myTask = try await task("mine-1")
            let theirTask = try await task("theirs-1")
            let listed = try await host.request(.get, "/tasks/", as: .token(scoped)).json.arrayValue?.compactMap { $0["id"]?.intValue }
            #expect(listed == [myTask])
            #expect(try await host.request(.get, "/tasks/\(theirTask)/", as: .token(scoped)).status == 404)
            #expect(try await host.request(.delete, "/tasks/\(theirTask)/", as: .token(scoped)).status == 404)
            #expect(try await host.request(.post, "/tasks/\(theirTask)/run/", as: .token(scoped)).status == 404)
            #expect(try await host.request(.get, "/agents/theirs-1/tasks/", as: .token(scoped)).status == 404)
            #expect(
                try await host.request(
                    .post, "/tasks/", as: .token(scoped),
                    json: [
                        "agent_id": "theirs-1", "name": "sneaky", "task_type": "manual",
                        "actions": [["type": "cmd", "command": "true", "shell": "/bin/sh", "timeout": 5]],
                    ]
                ).status == 404)
            #expect(try await host.request(.get, "/tasks/\(myTask)/", as: .token(scoped)).status == 200)
            #expect(try await host.request(.get, "/tasks/\(theirTask)/", as: .token(admin)).status == 200)
        }
    }

    @Test func tasks_runNowAndOnSchedule_throughTheTaskRunner_andRefuseMalformedResults() async throws {
        try await Self.with(nats: true) { host in
            let admin = try await host.adminToken()
            let f = try await Self.fixture(host, admin: admin)
            defer { f.agent.stop() }
            let failed = NIOLockedValueBox<[String]>([])
            host.server.context.events.subscribe(owner: "test", pattern: "scripting.task.*") { event in
                failed.withLockedValue { $0.append(event.name) }
            }

            let task = try await host.request(
                .post, "/tasks/", as: .token(admin),
                json: [
                    "agent_id": .string(f.agentID), "name": "Nightly", "task_type": "manual", "continue_on_error": false,
                    "actions": [
                        ["type": "script", "script": .init(f.scriptID), "script_args": ["{{agent.hostname}}"], "timeout": 60],
                        ["type": "cmd", "command": "echo {{site.name}}", "shell": "/bin/bash", "timeout": 15],
                    ],
                ])
            #expect(task.status == 200, "\(task.text)")
            let taskID = try #require(task.json["id"]?.intValue)
            #expect(try await host.request(.post, "/tasks/\(taskID)/run/", as: .token(admin)).status == 200)
            try await eventually("runtask arrived") { f.agent.received.contains { $0.command["func"] == "runtask" } }
            let runtask = try #require(f.agent.received.first { $0.command["func"] == "runtask" })
            #expect(runtask.command["taskpk"] == .init(taskID) && runtask.replied == false)

            let fetched = try await host.request(.get, "/api/v3/\(taskID)/\(f.agentID)/taskrunner/", as: .token(f.token))
            #expect(fetched.status == 200, "\(fetched.text)")
            #expect(fetched.json["id"] == .init(taskID) && fetched.json["continue_on_error"] == false && fetched.json["enabled"] == true)
            let actions = try #require(fetched.json["task_actions"]?.arrayValue)
            #expect(actions.count == 2)
            #expect(
                actions[0]["type"] == "script" && actions[0]["script_name"] == "Vars" && actions[0]["script_args"] == ["'web 1'"]
                    && actions[0]["timeout"] == 60)
            #expect(
                actions[0]["code"]?.stringValue?.contains("echo \"hi ü\"") == true
                    && actions[0]["env_vars"] == ["SITE=HQ", "KEY=it's a secret"])
            #expect(actions[1] == ["type": "cmd", "command": "echo 'HQ'", "shell": "/bin/bash", "timeout": 15])

            for bad: JSON in [
                ["stdout": "x", "stderr": "", "retcode": "0", "execution_time": 1], ["stdout": "x", "stderr": "", "retcode": 0],
                ["stdout": 1, "stderr": "", "retcode": 0, "execution_time": 1],
                ["stdout": "x", "stderr": "", "retcode": 0, "execution_time": -1],
            ] {
                let refused = try await host.request(.patch, "/api/v3/\(taskID)/\(f.agentID)/taskrunner/", as: .token(f.token), json: bad)
                #expect(refused.status == 400, "\(bad.databaseText) answered \(refused.status)")
            }
            #expect(
                try await host.request(.patch, "/api/v3/\(taskID)/\(f.agentID)/taskrunner/", as: .token(f.token), rawBody: "{not json")
                    .status == 400)
            let stored = try await host.request(
                .patch, "/api/v3/\(taskID)/\(f.agentID)/taskrunner/", as: .token(f.token),
                json: ["stdout": "Running Script: Vars\nok ü", "stderr": "boom", "retcode": 1, "execution_time": 1.5])
            #expect(stored.status == 200)
            let shown = try await host.request(.get, "/tasks/\(taskID)/", as: .token(admin))
            #expect(
                shown.json["task_result"]?["status"] == "failing" && shown.json["task_result"]?["stdout"] == "Running Script: Vars\nok ü")
            _ = try await host.request(
                .patch, "/api/v3/\(taskID)/\(f.agentID)/taskrunner/", as: .token(f.token),
                json: ["stdout": "", "stderr": "", "retcode": 0, "execution_time": 0.1])
            try await eventually("task events") { failed.withLockedValue { $0.count } == 2 }
            #expect(failed.withLockedValue { $0 } == ["scripting.task.failed", "scripting.task.resolved"])

            // Another agent's token cannot read or report this task.
            let (_, site) = try await host.client("Other", admin: admin)
            let other = BusTests.agentID()
            let otherToken = try await BusTests.seedAgent(host, other, site: site)
            try await host.server.storage.pool.query(
                "UPDATE agents SET token_digest = $2 WHERE agent_id = $1", [other, Crypto.sha256Hex(otherToken)])
            #expect(try await host.request(.get, "/api/v3/\(taskID)/\(other)/taskrunner/", as: .token(otherToken)).status == 400)
            #expect(try await host.request(.get, "/api/v3/\(taskID)/\(f.agentID)/taskrunner/", as: .token(otherToken)).status == 403)

            // A runonce task two seconds from now fires from the host scheduler (TestHost serves
            // routes only, so the scheduler service runs here for this step).
            let scheduler = Task { try await host.server.scheduler.run() }
            defer { scheduler.cancel() }
            let at = Date().addingTimeInterval(2)
            let once = try await host.request(
                .post, "/tasks/", as: .token(admin),
                json: [
                    "agent_id": .string(f.agentID), "name": "Once", "task_type": "runonce", "run_time_date": .string(at.iso8601),
                    "actions": [["type": "cmd", "command": "uptime", "shell": "/bin/bash"]],
                ])
            let onceID = try #require(once.json["id"]?.intValue, "\(once.text)")
            let next = try await host.server.storage.pool.query(
                "SELECT next_run FROM schedules WHERE id = $1", ["scripting:task-\(onceID)"]
            ).first
            #expect(next != nil, "the runonce task is in the host scheduler")
            try await eventually("scheduled runtask", timeout: .seconds(15)) {
                f.agent.received.contains { $0.command["func"] == "runtask" && $0.command["taskpk"] == .init(onceID) }
            }
            #expect(
                try await host.request(
                    .post, "/tasks/", as: .token(admin),
                    json: [
                        "agent_id": .string(f.agentID), "name": "x", "task_type": "weekly",
                        "run_time_date": "2026-01-01T10:00:00Z", "actions": [["type": "cmd", "command": "a", "shell": "/bin/bash"]],
                    ]
                ).status == 400)
        }
    }

    @Test func keyStore_crud_isAudited_withoutValues() async throws {
        try await Self.with(nats: false) { host in
            let admin = try await host.adminToken()
            #expect(
                try await host.request(.post, "/core/keystore/", as: .token(admin), json: ["name": "db_pass", "value": "s3cret"]).status
                    == 200)
            #expect(
                try await host.request(.post, "/core/keystore/", as: .token(admin), json: ["name": "db_pass", "value": "x"]).status == 400)
            #expect(
                try await host.request(.post, "/core/keystore/", as: .token(admin), json: ["name": "bad name", "value": "x"]).status == 400)
            let list = try await host.request(.get, "/core/keystore/", as: .token(admin))
            let id = try #require(list.json.arrayValue?.first?["id"]?.intValue)
            #expect(list.json.arrayValue?.first?["value"] == "s3cret")
            #expect(try await host.request(.put, "/core/keystore/\(id)/", as: .token(admin), json: ["value": "n3w"]).status == 200)
            #expect(try await host.request(.get, "/core/keystore/", as: .token(admin)).json.arrayValue?.first?["value"] == "n3w")
            #expect(try await host.request(.delete, "/core/keystore/\(id)/", as: .token(admin)).status == 200)
            #expect(try await host.request(.delete, "/core/keystore/\(id)/", as: .token(admin)).status == 404)
            let audit = try await host.server.storage.pool.query(
                "SELECT message, coalesce(after_value::text, '') AS after FROM audit_log WHERE object_type = 'keystore'"
            ).rows
            #expect(
                audit.count == 3 && !audit.contains { $0.string("message").contains("s3cret") || $0.string("after").contains("s3cret") })
        }
    }
}

/// Each task schedule type, mapped to the host's ScheduleSpec and stepped with a fixed clock.
@Suite struct ScriptingScheduleTests {
    static func runs(_ task: AutomatedTask, after start: String, count: Int) throws -> [String] {
        let spec = try ScheduleSpec.parse(.object(try #require(try TaskSchedule.hostSchedule(task))))
        var now = try #require(ISO8601DateFormatter().date(from: start))
        var out: [String] = []
        for _ in 0..<count {
            guard let next = spec.next(after: now, anchor: now) else { break }
            out.append(ISO8601DateFormatter().string(from: next))
            now = next
        }
        return out
    }

    static func task(_ type: AutomatedTask.TaskType, _ configure: (inout AutomatedTask) -> Void = { _ in }) -> AutomatedTask {
        var task = AutomatedTask(
            agentID: "a", name: "t", taskType: type, actions: [.init(type: .cmd, command: "x", shell: "/bin/sh")],
            runTimeDate: "2026-03-02T09:30:00Z")
        configure(&task)
        return task
    }

    @Test func everyScheduleType_firesAtTheRightTimes() throws {
        #expect(try Self.runs(Self.task(.runonce), after: "2026-03-01T00:00:00Z", count: 3) == ["2026-03-02T09:30:00Z"])
        #expect(
            try Self.runs(Self.task(.daily) { $0.dailyInterval = 2 }, after: "2026-03-01T00:00:00Z", count: 3)
                == ["2026-03-02T09:30:00Z", "2026-03-04T09:30:00Z", "2026-03-06T09:30:00Z"])
        // Mondays (2) and Fridays (32) every other week; 2026-03-02 is a Monday.
        #expect(
            try Self.runs(
                Self.task(.weekly) {
                    $0.runTimeBitWeekdays = 2 | 32; $0.weeklyInterval = 2
                }, after: "2026-03-01T00:00:00Z", count: 4)
                == ["2026-03-02T09:30:00Z", "2026-03-06T09:30:00Z", "2026-03-16T09:30:00Z", "2026-03-20T09:30:00Z"])
        // The 15th and the last day, in March and April only.
        #expect(
            try Self.runs(
                Self.task(.monthly) {
                    $0.monthlyDaysOfMonth = (1 << 14) | (1 << 31); $0.monthlyMonthsOfYear = 4 | 8
                }, after: "2026-03-01T00:00:00Z", count: 5)
                == ["2026-03-15T09:30:00Z", "2026-03-31T09:30:00Z", "2026-04-15T09:30:00Z", "2026-04-30T09:30:00Z", "2027-03-15T09:30:00Z"])
        // The last Friday of each month.
        #expect(
            try Self.runs(
                Self.task(.monthlydow) {
                    $0.monthlyWeeksOfMonth = 16; $0.runTimeBitWeekdays = 32
                }, after: "2026-03-01T00:00:00Z", count: 2)
                == ["2026-03-27T09:30:00Z", "2026-04-24T09:30:00Z"])
        // Time zones and expiry carry over.
        #expect(
            try Self.runs(
                Self.task(.daily) {
                    $0.timezone = "Europe/Berlin"; $0.expireDate = "2026-03-03T12:00:00Z"
                }, after: "2026-03-01T00:00:00Z", count: 5)
                == ["2026-03-02T08:30:00Z", "2026-03-03T08:30:00Z"])
        for type in [AutomatedTask.TaskType.manual, .checkfailure, .onboarding] {
            #expect(try TaskSchedule.hostSchedule(Self.task(type)) == nil)
        }
    }
}
