import Foundation
import NIOConcurrencyHelpers
import Testing
@testable import GarrisonHost

/// The checks plugin (Plugins/Checks), built next to this bundle and loaded by a real host:
/// every check type end to end with an emulated agent (its own token, the calls the real
/// agent makes), failure counting and its events, refusals, policies.
@Suite struct PluginsChecksTests {
    static func folder() throws -> PluginFolder {
        let folder = try PluginFolder()
        let copy = try folder.copyBuilt("libChecksPlugin.so")
        // No agent cache: each test step sees policy and interval changes at once.
        try folder.write(
            "40-checks.toml",
            "library = \"\(copy)\"\nenabled = true\n\n[settings]\nagent_cache_seconds = 0\nhistory_retention_days = 30\noutbox_sweep_seconds = 1\n"
        )
        return folder
    }

    /// Events the plugin raised, as the host's bus delivered them.
    final class Events: Sendable {
        let seen = NIOLockedValueBox<[(String, JSON)]>([])
        func named(_ name: String) -> [JSON] { seen.withLockedValue { $0.filter { $0.0 == name }.map(\.1) } }
    }

    struct World: Sendable {
        let host: TestHost
        let admin: String
        let agentID: String
        let agentToken: String
        let client: Int
        let site: Int
        let events: Events

        func check(_ body: [String: JSON]) async throws -> Int {
            var fields = body
            fields["agent"] = .string(agentID)
            let created = try await host.request(.post, "/checks/", as: .token(admin), json: .object(fields))
            guard created.status == 200 else { throw TestFailure("create check: \(created.status) \(created.text)") }
            let list = try await host.request(.get, "/checks/", as: .token(admin))
            return list.json.arrayValue?.compactMap { $0["id"]?.intValue }.max() ?? 0
        }

        func due() async throws -> TestHost.Reply {
            try await host.request(.get, "/api/v3/\(agentID)/checkrunner/", as: .token(agentToken))
        }

        func submit(_ id: Int, _ body: [String: JSON]) async throws -> TestHost.Reply {
            var fields = body
            fields["id"] = .init(id)
            fields["agent_id"] = .string(agentID)
            return try await host.request(.patch, "/api/v3/checkrunner/", as: .token(agentToken), json: .object(fields))
        }

        /// The agent's view of one check, with its check_result.
        func status(_ id: Int) async throws -> JSON {
            let list = try await host.request(.get, "/agents/\(agentID)/checks/", as: .token(admin))
            return list.json.arrayValue?.first { $0["id"]?.intValue == id } ?? .null
        }

        func history(_ id: Int) async throws -> [JSON] {
            let resultID = try await status(id)["check_result"]?["id"]?.intValue ?? -1
            return try await host.request(.patch, "/checks/\(resultID)/history/", as: .token(admin), json: ["timeFilter": 1]).json
                .arrayValue ?? []
        }

        func events(_ name: String, check: Int) -> [JSON] { events.named(name).filter { $0["check_id"]?.intValue == check } }

        /// Every event published so far has reached the test: the bus delivers in one loop,
        /// so a marker published now comes after them. "No second event" is asserted after
        /// this, not after a sleep (the plugin publishes a result's events before it answers).
        func drained() async throws {
            let marker = Double(Int.random(in: 1...1_000_000_000))
            host.server.context.events.publish("check.test-barrier", ["marker": .number(marker)])
            #expect(try await host.eventually(10) { events.named("check.test-barrier").contains { $0["marker"] == .number(marker) } })
        }
    }

    static func enroll(_ host: TestHost, admin: String, site: Int, plat: String = "windows") async throws -> (String, String) {
        let agentID = BusTests.agentID()
        var body = AgentAPITests.enrollBody(agentID, site: site)
        if case .object(var fields) = body { fields["plat"] = .string(plat); body = .object(fields) }
        let enrolled = try await host.request(.post, "/api/v3/newagent/", as: .token(admin), json: body)
        guard let token = enrolled.json["token"]?.stringValue else { throw TestFailure("enroll: \(enrolled.text)") }
        return (agentID, token)
    }

    static func with(_ body: @Sendable @escaping (World) async throws -> Void) async throws {
        let folder = try folder()
        defer { folder.cleanUp() }
        // A loaded 2-core test machine can be slower than the usual plugin deadline.
        try await TestHost.with(plugins: folder, callTimeoutMS: 20_000) { host in
            let events = Events()
            host.server.context.events.subscribe(owner: "test", pattern: "check.*") { event in
                let value = (try? JSON.parse(Data(event.json.utf8))) ?? .null
                events.seen.withLockedValue { $0.append((event.name, value)) }
            }
            let admin = try await host.adminToken()
            let (client, site) = try await host.client("Checks Co", admin: admin)
            let (agentID, token) = try await enroll(host, admin: admin, site: site)
            try await body(World(host: host, admin: admin, agentID: agentID, agentToken: token, client: client, site: site, events: events))
        }
    }

    /// One check type end to end: created, fetched by the agent, `fails` failing results
    /// raise check.failed once at the threshold, a passing one resolves it once.
    struct Case: Sendable, CustomTestStringConvertible {
        let type: String
        let options: [String: JSON]
        let failing: [String: JSON]
        let passing: [String: JSON]
        let severity: String
        var testDescription: String { type }
    }

    static let cases: [Case] = [
        Case(
            type: "diskspace", options: ["disk": "C:", "warning_threshold": 25, "error_threshold": 10],
            failing: ["percent_used": 95.2, "exists": true, "more_info": "Total: 100 GB, Free: 4.8 GB"],
            passing: ["percent_used": 40.0, "exists": true, "more_info": "Total: 100 GB, Free: 60 GB"], severity: "error"),
        Case(
            type: "cpuload", options: ["warning_threshold": 70, "error_threshold": 90], failing: ["percent": 95], passing: ["percent": 5],
            severity: "error"),
        Case(
            type: "memory", options: ["warning_threshold": 70, "error_threshold": 0], failing: ["percent": 80], passing: ["percent": 1],
            severity: "warning"),
        Case(
            type: "ping", options: ["name": "gateway", "ip": "10.0.0.1", "alert_severity": "error"],
            failing: ["status": "failing", "output": "100% packet loss"],
            passing: ["status": "passing", "output": "0% packet loss"], severity: "error"),
        Case(
            type: "script",
            options: [
                "script": ["name": "probe", "code": "#!/bin/sh\nexit $1", "shell": "shell"],
                "script_args": ["{{agent.hostname}}", "plain"],
                "warning_return_codes": [4], "timeout": 30,
            ],
            failing: ["stdout": "bad", "stderr": "worse", "retcode": 4, "runtime": 0.5],
            passing: ["stdout": "fine", "stderr": "", "retcode": 0, "runtime": 0.2], severity: "warning"),
        Case(
            type: "winsvc", options: ["svc_name": "Spooler", "svc_display_name": "Print Spooler", "alert_severity": "info"],
            failing: ["status": "failing", "more_info": "Status: stopped"], passing: ["status": "passing", "more_info": "Status: running"],
            severity: "info"),
        Case(
            type: "eventlog",
            options: [
                "name": "disk errors", "log_name": "System", "event_id": 7, "event_type": "ERROR", "fail_when": "contains",
                "number_of_events_b4_alert": 2,
            ],
            failing: [
                "log": [
                    [
                        "source": "disk", "eventType": "ERROR", "eventID": 7, "message": "bad block",
                        "time": "2024-01-02 03:04:05 +0000 UTC", "uid": 1,
                    ],
                    [
                        "source": "disk", "eventType": "ERROR", "eventID": 7, "message": "bad block",
                        "time": "2024-01-02 03:04:06 +0000 UTC", "uid": 2,
                    ],
                ]
            ],
            passing: ["log": []], severity: "warning"),
    ]

    @Test(arguments: cases)
    func checkType_endToEndWithAnEmulatedAgent(_ c: Case) async throws {
        try await Self.with { w in
            var options = c.options
            options["check_type"] = .string(c.type)
            options["fails_b4_alert"] = 3
            let id = try await w.check(options)

            // The agent fetches it as due (never run), with a jittered interval.
            let due = try await w.due()
            #expect(due.status == 200, "\(due.text)")
            let fetched = try #require(due.json["checks"]?.arrayValue?.first { $0["id"]?.intValue == id }, "\(due.text)")
            #expect(fetched["check_type"]?.stringValue == c.type)
            #expect((121...180).contains(due.json["check_interval"]?.intValue ?? 0))
            if c.type == "script" {
                #expect(fetched["script"]?["code"]?.stringValue == "#!/bin/sh\nexit $1" && fetched["script"]?["shell"] == "shell")
                #expect(fetched["script_args"] == ["'web-1'", "plain"], "variables resolved and quoted: \(fetched)")
                #expect(fetched["timeout"]?.intValue == 30)
            } else {
                #expect(fetched["script_args"] == [] && fetched["script"] == .null)
            }

            // Two failures: failing, no event yet. The third crosses fails_b4_alert.
            for n in 1...2 {
                let reply = try await w.submit(id, c.failing)
                #expect(reply.status == 200 && reply.json == "ok", "\(reply.text)")
                #expect(try await w.status(id)["check_result"]?["fail_count"]?.intValue == n)
            }
            #expect(w.events("check.failed", check: id).isEmpty)
            // Ran just now: no longer due.
            #expect(try await w.due().json["checks"]?.arrayValue?.contains { $0["id"]?.intValue == id } == false)
            #expect(try await w.submit(id, c.failing).status == 200)
            #expect(try await w.host.eventually { w.events("check.failed", check: id).count == 1 })
            let failed = try #require(w.events("check.failed", check: id).first)
            #expect(failed["severity"]?.stringValue == c.severity, "\(failed)")
            #expect(failed["agent_id"]?.stringValue == w.agentID && failed["hostname"] == "web-1")
            #expect(failed["client"]?.intValue == w.client && failed["site"]?.intValue == w.site && failed["client_name"] == "Checks Co")
            #expect(failed["event_id"]?.intValue != nil && failed["check_type"]?.stringValue == c.type)
            let status = try await w.status(id)
            #expect(status["check_result"]?["status"] == "failing" && status["check_result"]?["fail_count"]?.intValue == 3)
            if c.type == "script" {
                #expect(status["check_result"]?["retcode"]?.intValue == 4 && status["check_result"]?["stdout"] == "bad")
            }

            // A fourth failure raises nothing more; a passing result resolves once.
            #expect(try await w.submit(id, c.failing).status == 200)
            #expect(try await w.submit(id, c.passing).status == 200)
            #expect(try await w.submit(id, c.passing).status == 200)
            #expect(try await w.host.eventually { w.events("check.resolved", check: id).count == 1 })
            #expect(w.events("check.failed", check: id).count == 1)
            let after = try await w.status(id)
            #expect(after["check_result"]?["status"] == "passing" && after["check_result"]?["fail_count"]?.intValue == 0)

            // Six chart points, newest first.
            let history = try await w.history(id)
            #expect(history.count == 6, "\(history)")
            if c.type == "cpuload" { #expect(history.map { $0["y"]?.intValue } == [5, 5, 95, 95, 95, 95]) }
            if c.type == "diskspace" { #expect(history.first?["y"]?.intValue == 60 && history.last?["y"]?.intValue == 5) }
            try await w.drained()
            #expect(w.events("check.failed", check: id).count == 1 && w.events("check.resolved", check: id).count == 1)
        }
    }

    @Test func concurrentResults_areEachCountedAndRaiseOneEvent() async throws {
        try await Self.with { w in
            let id = try await w.check(["check_type": "ping", "ip": "10.0.0.3", "fails_b4_alert": 5])
            let other = try await w.check(["check_type": "ping", "ip": "10.0.0.4", "fails_b4_alert": 1])
            try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 0..<12 {
                    group.addTask {
                        try await w.submit(n % 3 == 0 ? other : id, ["status": "failing", "output": .string("down \(n)")]).status
                    }
                }
                for try await status in group { #expect(status == 200) }
            }
            #expect(try await w.status(id)["check_result"]?["fail_count"]?.intValue == 8)
            #expect(try await w.status(other)["check_result"]?["fail_count"]?.intValue == 4)
            #expect(
                try await w.host.eventually {
                    w.events("check.failed", check: id).count == 1 && w.events("check.failed", check: other).count == 1
                })
            #expect(try await w.history(id).count == 8)
            try await w.drained()
            #expect(w.events("check.failed", check: id).count == 1 && w.events("check.failed", check: other).count == 1)
        }
    }

    /// The plugin keeps check definitions between calls (by row version): an operator's
    /// edit reaches the agent's next checkrunner call and the next result's evaluation.
    @Test func anEditedCheck_isWhatTheAgentRunsAndIsJudgedByNext() async throws {
        try await Self.with { w in
            let id = try await w.check(["check_type": "cpuload", "warning_threshold": 70, "error_threshold": 90, "fails_b4_alert": 1])
            func threshold() async throws -> Int? {
                try await w.host.request(.get, "/api/v3/\(w.agentID)/runchecks/", as: .token(w.agentToken)).json["checks"]?.arrayValue?
                    .first { $0["id"]?.intValue == id }?["error_threshold"]?.intValue
            }
            #expect(try await threshold() == 90)
            #expect(try await w.submit(id, ["percent": 50]).status == 200)
            #expect(try await w.status(id)["check_result"]?["status"]?.stringValue == "passing")
            var edited = try await w.host.request(.get, "/checks/\(id)/", as: .token(w.admin)).json.objectValue ?? [:]
            edited["warning_threshold"] = 10
            edited["error_threshold"] = 20
            let put = try await w.host.request(.put, "/checks/\(id)/", as: .token(w.admin), json: .object(edited))
            #expect(put.status == 200, "\(put.text)")
            #expect(try await threshold() == 20)
            // The next result is judged by the new threshold: 50 % now fails.
            #expect(try await w.submit(id, ["percent": 50]).status == 200)
            #expect(try await w.submit(id, ["percent": 50]).status == 200)
            #expect(try await w.status(id)["check_result"]?["status"]?.stringValue == "failing")
        }
    }

    /// The plugin keeps each agent's result state and check definitions between results,
    /// as a guess checked by the write: a result stored or a check edited through another
    /// host (here, straight in the database) is what the next result here builds on.
    @Test func aResultOrAnEditThroughAnotherHost_isWhatTheNextResultBuildsOn() async throws {
        try await Self.with { w in
            let pool = w.host.server.storage.pool
            let ping = try await w.check(["check_type": "ping", "ip": "10.0.0.5", "fails_b4_alert": 3])
            let cpu = try await w.check(["check_type": "cpuload", "warning_threshold": 70, "error_threshold": 90, "fails_b4_alert": 1])
            #expect(try await w.due().status == 200)
            #expect(try await w.submit(ping, ["status": "failing", "output": "down"]).status == 200)
            #expect(try await w.submit(cpu, ["percent": 50]).status == 200)
            #expect(try await w.status(cpu)["check_result"]?["status"]?.stringValue == "passing")

            // Two more failures stored elsewhere: the third failure here is the one that alerts.
            try await pool.query("UPDATE plugin_check.results SET fail_count = 2, seq = seq + 2 WHERE check_id = $1", [String(ping)])
            #expect(try await w.submit(ping, ["status": "failing", "output": "down"]).status == 200)
            #expect(try await w.status(ping)["check_result"]?["fail_count"]?.intValue == 3)
            #expect(try await w.host.eventually { w.events("check.failed", check: ping).count == 1 })

            // Thresholds lowered elsewhere, with no checkrunner call in between: 50 % now fails.
            try await pool.query("UPDATE plugin_check.checks SET warning_threshold = 10, error_threshold = 20 WHERE id = $1", [String(cpu)])
            #expect(try await w.submit(cpu, ["percent": 50]).status == 200)
            let result = try await w.status(cpu)["check_result"]
            #expect(result?["status"]?.stringValue == "failing")
            #expect(result?["alert_severity"]?.stringValue == "error")
        }
    }

    /// Checkrunner JSON is kept encoded per check version; a policy check with {{agent.x}}
    /// arguments still reaches each agent with its own values, and a plain one reaches both
    /// the same. Checks' own agents get their own pk.
    @Test func policyCheckJSON_isSharedOnlyWhereItIsTheSameForEveryAgent() async throws {
        try await Self.with { w in
            let admin = w.admin
            #expect(
                try await w.host.request(
                    .post, "/automation/policies/", as: .token(admin), json: ["name": "Fleet", "desc": "", "active": true]
                ).json == "ok")
            let policy = try #require(
                try await w.host.request(.get, "/automation/policies/", as: .token(admin)).json.arrayValue?.first?["id"]?.intValue)
            for body: JSON in [
                ["check_type": "memory", "warning_threshold": 80, "error_threshold": 95],
                [
                    "check_type": "script", "script": ["name": "who", "code": "echo $1", "shell": "shell"],
                    "script_args": ["{{agent.agent_id}}", "fixed"],
                ],
            ] {
                #expect(
                    try await w.host.request(.post, "/automation/policies/\(policy)/checks/", as: .token(admin), json: body).status == 200)
            }
            #expect(
                try await w.host.request(
                    .put, "/clients/\(w.client)/", as: .token(admin), json: ["client": ["server_policy": .init(policy)]]
                ).status == 200)
            let own = try await w.check(["check_type": "cpuload", "warning_threshold": 70, "error_threshold": 90])
            let (otherID, otherToken) = try await Self.enroll(w.host, admin: admin, site: w.site)

            func checks(_ agentID: String, _ token: String) async throws -> [String: JSON] {
                let list =
                    try await w.host.request(.get, "/api/v3/\(agentID)/runchecks/", as: .token(token)).json["checks"]?.arrayValue ?? []
                return Dictionary(list.map { ($0["check_type"]?.stringValue ?? "?", $0) }, uniquingKeysWith: { a, _ in a })
            }
            // Twice each, so the second answers come from the cache.
            for _ in 0..<2 {
                let mine = try await checks(w.agentID, w.agentToken), theirs = try await checks(otherID, otherToken)
                #expect(mine["script"]?["script_args"] == [.string("'\(w.agentID)'"), "fixed"], "\(mine["script"] ?? .null)")
                #expect(theirs["script"]?["script_args"] == [.string("'\(otherID)'"), "fixed"], "\(theirs["script"] ?? .null)")
                #expect(mine["memory"] == theirs["memory"] && mine["memory"]?["agent"] == .null)
                let pk = try #require(try await w.host.request(.get, "/agents/\(w.agentID)/", as: .token(admin)).json["id"]?.intValue)
                #expect(mine["cpuload"]?["id"]?.intValue == own && mine["cpuload"]?["agent"]?.intValue == pk)
                #expect(theirs["cpuload"] == nil)
            }
        }
    }

    /// Over a real nats-server with an agent stand-in: run now is a runchecks request, bulk
    /// run a runchecks message without reply, and a failing result sends the check's tasks
    /// as runtask.
    @Test func runNowBulkRunAndAssignedTasksReachTheAgentOverNATS() async throws {
        let folder = try Self.folder()
        defer { folder.cleanUp() }
        try await TestHost.with(configure: { config in
            config.pluginsDirectory = folder.path
            config.natsEnabled = true
        }) { host in
            let bus = try #require(host.server.bus)
            let admin = try await host.adminToken()
            let (client, site) = try await host.client("Nats Co", admin: admin)
            let (agentID, token) = try await Self.enroll(host, admin: admin, site: site)
            let agent = try await CommandAgent.start(url: try #require(bus.supervisor).url, agentID: agentID, token: token)
            defer { agent.stop() }
            let w = World(host: host, admin: admin, agentID: agentID, agentToken: token, client: client, site: site, events: Events())

            let run = try await host.request(.post, "/checks/\(agentID)/run/", as: .token(admin))
            #expect(run.status == 200 && run.json == "Checks will now be run on web-1", "\(run.text)")
            let bulk = try await host.request(.post, "/checks/client/\(client)/csbulkrun/", as: .token(admin))
            #expect(bulk.status == 200 && bulk.json == "Checks will now be run on all agents in client: Nats Co", "\(bulk.text)")
            let id = try await w.check(["check_type": "ping", "ip": "10.0.0.5", "assigned_tasks": [42]])
            #expect(try await w.submit(id, ["status": "failing", "output": "down"]).status == 200)
            #expect(try await w.submit(id, ["status": "passing", "output": "up"]).status == 200)

            try await eventually("runchecks twice and runtask once") { agent.received.count >= 3 }
            let received = agent.received
            #expect(received.filter { $0.command["func"] == "runchecks" }.map(\.replied) == [true, false])
            let tasks = received.filter { $0.command["func"] == "runtask" }
            #expect(tasks.count == 1 && tasks.first?.command["taskpk"]?.intValue == 42 && tasks.first?.replied == false)
        }
    }

    @Test func malformedAndForeignResults_are400AndChangeNothing() async throws {
        try await Self.with { w in
            let id = try await w.check(["check_type": "cpuload", "warning_threshold": 50, "error_threshold": 0])
            let (otherID, otherToken) = try await Self.enroll(w.host, admin: w.admin, site: w.site)
            let otherCheck = try await w.check(["check_type": "memory", "warning_threshold": 50, "error_threshold": 0]).self
            _ = otherCheck
            let foreign = try await w.host.request(
                .post, "/checks/", as: .token(w.admin), json: ["agent": .string(otherID), "check_type": "ping", "ip": "1.1.1.1"])
            #expect(foreign.status == 200)
            let foreignID =
                try await w.host.request(.get, "/checks/", as: .token(w.admin)).json.arrayValue?.compactMap { $0["id"]?.intValue }.max()
                ?? 0

            let refusals: [(String, String)] = [
                (#"{"id":\#(id),"percent":90}"#, "Agent upgrade required"),
                (#"{"id":"\#(id)","agent_id":"\#(w.agentID)","percent":90}"#, ""),
                (#"{"id":\#(id),"agent_id":"\#(w.agentID)","percent":"90"}"#, ""),
                (#"{"id":\#(id),"agent_id":"\#(w.agentID)"}"#, ""),
                (#"{"id":99999,"agent_id":"\#(w.agentID)","percent":90}"#, ""),
                (#"{"id":\#(foreignID),"agent_id":"\#(w.agentID)","status":"failing","output":"x"}"#, ""),
                (#"{"id":\#(id),"agent_id":7,"percent":90}"#, ""),
                ("[1,2]", ""),
                ("not json", ""),
            ]
            for (body, detail) in refusals {
                let reply = try await w.host.request(.patch, "/api/v3/checkrunner/", as: .token(w.agentToken), rawBody: body)
                #expect(reply.status == 400, "\(body): \(reply.status) \(reply.text)")
                if !detail.isEmpty { #expect(reply.json["detail"]?.stringValue == detail, "\(reply.text)") }
            }
            // Naming another agent than the token's is a 403, as on the host's agent routes.
            let named = try await w.host.request(
                .patch, "/api/v3/checkrunner/", as: .token(w.agentToken), rawBody: #"{"id":\#(id),"agent_id":"\#(otherID)","percent":90}"#)
            #expect(named.status == 403 && named.json["detail"] == "agent_id does not match the token", "\(named.text)")
            // The other agent's own token cannot report for this agent's check either.
            let crossed = try await w.host.request(
                .patch, "/api/v3/checkrunner/", as: .token(otherToken), rawBody: #"{"id":\#(id),"agent_id":"\#(otherID)","percent":90}"#)
            #expect(crossed.status == 400)
            // Operators are not agents.
            #expect(
                try await w.host.request(
                    .patch, "/api/v3/checkrunner/", as: .token(w.admin), rawBody: #"{"id":\#(id),"agent_id":"\#(w.agentID)","percent":90}"#
                ).status == 401)
            #expect(try await w.host.request(.get, "/api/v3/\(otherID)/checkrunner/", as: .token(w.agentToken)).status == 403)

            let rows = try await w.host.server.storage.pool.query(
                "SELECT (SELECT count(*) FROM plugin_check.results) AS r, (SELECT count(*) FROM plugin_check.history) AS h")
            #expect(rows.first?.int("r") == 0 && rows.first?.int("h") == 0, "nothing was written")
        }
    }

    @Test func operatorRoutes_needTheirPermissionsAndValidate() async throws {
        try await Self.with { w in
            let viewer = try await w.host.user("viewer", permissions: ["can_list_checks"], admin: w.admin)
            let none = try await w.host.user("nobody", permissions: ["can_list_agents"], admin: w.admin)
            let id = try await w.check(["check_type": "diskspace", "disk": "C:", "warning_threshold": 25, "error_threshold": 10])
            #expect(try await w.host.request(.get, "/checks/", as: .token(viewer)).status == 200)
            #expect(try await w.host.request(.get, "/checks/", as: .token(none)).status == 403)
            #expect(try await w.host.request(.get, "/checks/\(id)/", as: .token(viewer)).json["disk"] == "C:")
            #expect(
                try await w.host.request(
                    .post, "/checks/", as: .token(viewer),
                    json: ["agent": .string(w.agentID), "check_type": "memory", "warning_threshold": 1]
                ).status == 403)
            #expect(try await w.host.request(.delete, "/checks/\(id)/", as: .token(viewer)).status == 403)
            #expect(try await w.host.request(.post, "/checks/\(w.agentID)/run/", as: .token(viewer)).status == 403)
            #expect(try await w.host.request(.post, "/checks/client/\(w.client)/csbulkrun/", as: .token(viewer)).status == 403)

            let dup = try await w.host.request(
                .post, "/checks/", as: .token(w.admin),
                json: [
                    "agent": .string(w.agentID), "check_type": "diskspace", "disk": "C:", "warning_threshold": 25, "error_threshold": 10,
                ])
            #expect(dup.status == 400 && dup.json["detail"] == "A disk check for Drive C: already exists!")
            let bad = try await w.host.request(
                .post, "/checks/", as: .token(w.admin),
                json: ["agent": .string(w.agentID), "check_type": "cpuload", "warning_threshold": 90, "error_threshold": 50])
            #expect(bad.status == 400 && bad.json["detail"] == "Warning threshold must be less than Error Threshold")
            #expect(
                try await w.host.request(
                    .post, "/checks/", as: .token(w.admin),
                    json: ["agent": .string(w.agentID), "check_type": "cpuload", "fails_b4_alert": "x"]
                ).status == 400)
            #expect(
                try await w.host.request(
                    .post, "/checks/", as: .token(w.admin), json: ["agent": "nope", "check_type": "ping", "ip": "1.1.1.1"]
                ).status == 404)

            let edited = try await w.host.request(
                .put, "/checks/\(id)/", as: .token(w.admin), json: ["warning_threshold": 30, "fails_b4_alert": 2])
            #expect(edited.status == 200 && edited.json == "Disk Space Drive C: was updated", "\(edited.text)")
            #expect(try await w.host.request(.get, "/checks/\(id)/", as: .token(w.admin)).json["warning_threshold"]?.intValue == 30)
            #expect(
                try await w.host.eventually {
                    try await w.host.server.storage.pool.query(
                        "SELECT count(*) AS n FROM audit_log WHERE action LIKE '%check.modify%' OR message LIKE '%check.modify%'"
                    ).first?.int("n") ?? 0 > 0
                })

            // Run now and bulk run need NATS, which this test host has not: a clear 503.
            let run = try await w.host.request(.post, "/checks/\(w.agentID)/run/", as: .token(w.admin))
            #expect([503, 400].contains(run.status), "\(run.text)")
            #expect([503, 400].contains(try await w.host.request(.post, "/checks/site/\(w.site)/csbulkrun/", as: .token(w.admin)).status))
            #expect(try await w.host.request(.post, "/checks/client/99999/csbulkrun/", as: .token(w.admin)).status == 404)

            #expect(try await w.host.request(.delete, "/checks/\(id)/", as: .token(w.admin)).json == "Disk Space Drive C: was deleted!")
            #expect(try await w.host.request(.get, "/checks/\(id)/", as: .token(w.admin)).status == 404)
        }
    }

    @Test func aScopedRoleSeesOnlyTheChecksOfItsClients() async throws {
        try await Self.with { w in
            let mine = try await w.check(["check_type": "ping", "ip": "10.0.0.7"])
            let (otherClient, otherSite) = try await w.host.client("Elsewhere", admin: w.admin)
            let (otherAgent, _) = try await Self.enroll(w.host, admin: w.admin, site: otherSite)
            #expect(
                try await w.host.request(
                    .post, "/checks/", as: .token(w.admin), json: ["agent": .string(otherAgent), "check_type": "ping", "ip": "10.0.0.8"]
                ).status == 200)
            let theirs =
                try await w.host.request(.get, "/checks/", as: .token(w.admin)).json.arrayValue?.compactMap { $0["id"]?.intValue }.max()
                ?? 0
            let scoped = try await w.host.user(
                "scoped", permissions: ["can_list_checks", "can_manage_checks", "can_run_checks"], clients: [w.client], admin: w.admin)
            let listed =
                try await w.host.request(.get, "/checks/", as: .token(scoped)).json.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
            #expect(listed == [mine], "\(listed)")
            #expect(try await w.host.request(.get, "/checks/\(theirs)/", as: .token(scoped)).status == 404)
            #expect(try await w.host.request(.delete, "/checks/\(theirs)/", as: .token(scoped)).status == 404)
            #expect(try await w.host.request(.get, "/agents/\(otherAgent)/checks/", as: .token(scoped)).status == 404)
            #expect(try await w.host.request(.post, "/checks/\(otherAgent)/resetall/", as: .token(scoped)).status == 404)
            #expect(try await w.host.request(.post, "/checks/client/\(otherClient)/csbulkrun/", as: .token(scoped)).status == 404)
            #expect(try await w.host.request(.get, "/agents/\(w.agentID)/checks/", as: .token(scoped)).status == 200)
            #expect(try await w.host.request(.get, "/checks/\(mine)/", as: .token(scoped)).status == 200)
        }
    }

    @Test func resetResolvesAnOpenAlertOnce_andCheckIntervalFollowsTheShortestCheck() async throws {
        try await Self.with { w in
            let id = try await w.check(["check_type": "ping", "ip": "10.0.0.9", "run_interval": 5])
            #expect(try await w.submit(id, ["status": "failing", "output": "down"]).status == 200)
            #expect(try await w.host.eventually { w.events("check.failed", check: id).count == 1 })
            let resultID = try #require(try await w.status(id)["check_result"]?["id"]?.intValue)
            #expect(try await w.host.request(.post, "/checks/\(resultID)/reset/", as: .token(w.admin)).json == "The check status was reset")
            #expect(try await w.host.eventually { w.events("check.resolved", check: id).count == 1 })
            #expect(
                try await w.host.request(.post, "/checks/\(w.agentID)/resetall/", as: .token(w.admin)).json
                    == "All checks status were reset")
            #expect(try await w.status(id)["check_result"]?["status"] == "passing")
            try await w.drained()
            #expect(w.events("check.resolved", check: id).count == 1, "a second reset resolves nothing")

            // check_interval 120, one check every 5 s: floor 15, plus 1-60 s of jitter.
            let interval = try await w.host.request(.get, "/api/v3/\(w.agentID)/checkinterval/", as: .token(w.agentToken))
            #expect((16...75).contains(interval.json["check_interval"]?.intValue ?? 0), "\(interval.text)")
            let all = try await w.host.request(.get, "/api/v3/\(w.agentID)/runchecks/", as: .token(w.agentToken))
            #expect(all.json["check_interval"]?.intValue == 120 && all.json["checks"]?.arrayValue?.count == 1)
        }
    }

    @Test func undeliveredEvents_areDeliveredAfterARestartOnce() async throws {
        try await Self.with { w in
            let id = try await w.check(["check_type": "ping", "ip": "10.0.0.2"])
            // A transition written but never claimed, as if the host stopped right after the result.
            try await w.host.server.storage.pool.query(
                "INSERT INTO plugin_check.outbox (event, payload) VALUES ('check.failed', $1::jsonb)",
                [#"{"check_id": \#(id), "agent_id": "\#(w.agentID)"}"#])
            // The sweep job (every second in these tests) delivers it, on the host's scheduler.
            let scheduler = w.host.server.scheduler
            let running = Task { try await scheduler.run() }
            defer { running.cancel() }
            #expect(try await w.host.eventually(15) { w.events("check.failed", check: id).count == 1 })
            // Two more runs of the sweep, then everything they published.
            @Sendable func sweeps() async throws -> Int {
                try await w.host.server.storage.pool.query(
                    "SELECT count(*) AS n FROM job_runs WHERE schedule_id = 'check:check-outbox' AND state = 'succeeded'"
                ).first?.int("n") ?? 0
            }
            let before = try await sweeps()
            #expect(try await w.host.eventually(15) { try await sweeps() >= before + 2 })
            try await w.drained()
            #expect(w.events("check.failed", check: id).count == 1)
            #expect(
                try await w.host.server.storage.pool.query("SELECT count(*) AS n FROM plugin_check.outbox WHERE delivered_time IS NULL")
                    .first?.int("n") == 0)
        }
    }

    @Test func policyChecks_reachTheAgentsThePolicyAppliesTo() async throws {
        try await Self.with { w in
            let admin = w.admin
            #expect(
                try await w.host.request(
                    .post, "/automation/policies/", as: .token(admin), json: ["name": "Servers", "desc": "baseline", "active": true]
                ).json == "ok")
            let policy = try #require(
                try await w.host.request(.get, "/automation/policies/", as: .token(admin)).json.arrayValue?.first?["id"]?.intValue)
            let created = try await w.host.request(
                .post, "/automation/policies/\(policy)/checks/", as: .token(admin),
                json: ["check_type": "memory", "warning_threshold": 80, "error_threshold": 95])
            #expect(created.status == 200, "\(created.text)")
            let policyCheck = try #require(
                try await w.host.request(.get, "/automation/policies/\(policy)/checks/", as: .token(admin)).json.arrayValue?.first?["id"]?
                    .intValue)
            func dueIDs() async throws -> [Int] { try await w.due().json["checks"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? [] }
            #expect(try await dueIDs().contains(policyCheck) == false, "not assigned yet")

            // Server policy on the client reaches the (server) agent.
            #expect(
                try await w.host.request(
                    .put, "/clients/\(w.client)/", as: .token(admin), json: ["client": ["server_policy": .init(policy)]]
                ).status == 200)
            #expect(try await dueIDs().contains(policyCheck))
            let fetched = try #require(try await w.due().json["checks"]?.arrayValue?.first { $0["id"]?.intValue == policyCheck })
            #expect(fetched["managed_by_policy"] == true && fetched["agent"] == .null)
            // The agent reports it like any check.
            #expect(try await w.submit(policyCheck, ["percent": 99]).status == 200)
            #expect(
                try await w.host.request(.get, "/automation/checks/\(policyCheck)/status/", as: .token(admin)).json.arrayValue?.count == 1)

            // Blocked inheritance on the site stops it; excluding the agent stops it too.
            #expect(
                try await w.host.request(
                    .put, "/clients/sites/\(w.site)/", as: .token(admin), json: ["site": ["block_policy_inheritance": true]]
                ).status == 200)
            #expect(try await dueIDs().contains(policyCheck) == false)
            #expect(
                try await w.host.request(
                    .put, "/clients/sites/\(w.site)/", as: .token(admin), json: ["site": ["block_policy_inheritance": false]]
                ).status == 200)
            let pk = try #require(try await w.host.request(.get, "/agents/\(w.agentID)/", as: .token(admin)).json["id"]?.intValue)
            #expect(
                try await w.host.request(.put, "/automation/policies/\(policy)/", as: .token(admin), json: ["excluded_agents": [.init(pk)]])
                    .json == "ok")
            #expect(try await w.host.request(.post, "/checks/\(w.agentID)/run/", as: .token(admin)).status != 200)
            #expect(try await dueIDs().contains(policyCheck) == false)

            // The agent's own policy slot is not subject to site blocking; an enforced policy
            // check overrides the agent's own check of the same kind.
            #expect(
                try await w.host.request(
                    .put, "/automation/policies/\(policy)/", as: .token(admin), json: ["excluded_agents": [], "enforced": true]
                ).json == "ok")
            #expect(
                try await w.host.request(
                    .put, "/agents/\(w.agentID)/", as: .token(admin), json: ["policy": .init(policy), "block_policy_inheritance": true]
                ).status == 200)
            let own = try await w.check(["check_type": "memory", "warning_threshold": 10, "error_threshold": 0])
            let ids =
                try await w.host.request(.get, "/api/v3/\(w.agentID)/runchecks/", as: .token(w.agentToken)).json["checks"]?.arrayValue?
                .compactMap { $0["id"]?.intValue } ?? []
            #expect(ids.contains(policyCheck) && !ids.contains(own), "\(ids)")
            let listed = try await w.host.request(.get, "/agents/\(w.agentID)/checks/", as: .token(admin)).json.arrayValue ?? []
            #expect(listed.first { $0["id"]?.intValue == own }?["overridden_by_policy"] == true)

            let related = try await w.host.request(.get, "/automation/policies/\(policy)/related/", as: .token(admin))
            #expect(
                related.json["server_clients"]?.arrayValue?.count == 1 && related.json["agents"]?.arrayValue?.count == 1, "\(related.text)")
            // Deleting the policy clears its slots and its checks.
            #expect(try await w.host.request(.delete, "/automation/policies/\(policy)/", as: .token(admin)).json == "ok")
            #expect(
                try await w.host.eventually { try await w.host.request(.get, "/checks/\(policyCheck)/", as: .token(admin)).status == 404 })
            #expect(try await w.host.request(.get, "/agents/\(w.agentID)/", as: .token(admin)).json["policy"] == .null)
        }
    }
}
