import PluginKit
import ScriptingCore
import Synchronization
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Bulk actions (docs/compatibility.md §2.7): a command, a script, a patch scan or a patch install
/// (handed to the patching plugin through the scripting.bulk.patch event) on every agent a
/// target selects. The POST answers at once with the run's id; requests go out concurrently,
/// offline agents get the command queued as a pending action, and per-agent results are
/// written in batches as they come back (the NATS reply, or the agent's histresult later).
final class BulkRuns: Sendable {
    let host: PluginHost
    let recorder: Recorder

    init(host: PluginHost) {
        self.host = host
        recorder = Recorder(host: host)
    }

    struct Body: Decodable, Sendable {
        var mode: String
        var target: BulkTarget.Kind
        var client: Int?
        var site: Int?
        var agents: [String]?
        var monType: String?
        var osType: String?
        var cmd: String?
        var shell: String?
        var customShell: String?
        var timeout: Int?
        var script: Int?
        var args: [String]?
        var envVars: [String]?
        var runAsUser: Bool?
        var patchMode: String?

        enum CodingKeys: String, CodingKey {
            case mode, target, client, site, agents, monType, osType, cmd, shell, timeout, script, args, patchMode
            case customShell = "custom_shell", envVars = "env_vars", runAsUser = "run_as_user"
        }

        var bulkTarget: BulkTarget {
            BulkTarget(target: target, client: client, site: site, agents: agents, monType: monType, osType: osType)
        }
    }

    func register(_ r: Registrar, scripting: Scripting) throws {
        try r.route(.post, "/agents/actions/bulk/", permission: "can_run_bulk") { req in
            try await self.start(req, scripting: scripting)
        }
        try r.route(.get, "/agents/actions/bulk/<pk>/", permission: "can_run_bulk") { req in
            // A role limited to some clients sees only the runs it started (a run's results
            // name agents of every client it reached).
            try await self.progress(
                try req.intParam("pk"), results: !req.query.contains("results=false"),
                onlyBy: req.roleScope.isUnrestricted ? nil : req.username)
        }
        // Results that arrive later through histresult (a queued run, or a reply after the wait).
        try r.subscribe("agent.history.result") { event in
            guard let origin = event.json["origin"]?.stringValue, origin.hasPrefix("bulk:"), let id = Int(origin.dropFirst(5)),
                let agentID = event.json["agent_id"]?.stringValue
            else { return }
            let result = event.json["script_results"].flatMap { $0.isNull ? nil : $0 } ?? event.json["results"] ?? .null
            await self.recorder.add(
                .init(
                    bulkID: id, agentID: agentID, status: "completed", historyID: event.json["history_id"]?.intValue, pendingActionID: nil,
                    result: result))
        }
    }

    func start(_ req: PluginRequest, scripting: Scripting) async throws -> PluginResponse {
        let body: Body = try req.json()
        let target = body.bulkTarget
        let query = try checked { () throws(ScriptingError) in
            try target.validate(); return try target.hostQuery()
        }
        var script: Script?
        switch body.mode {
        case "script":
            guard let id = body.script, let found = try await scripting.library.script(id) else {
                throw PluginHTTPError(400, "Choose an existing script.")
            }
            script = found
        case "command":
            guard let cmd = body.cmd, !cmd.isEmpty, body.shell != nil else {
                throw PluginHTTPError(400, "command mode needs cmd and shell.")
            }
        case "patch":
            guard body.patchMode == "scan" || body.patchMode == "install" else {
                throw PluginHTTPError(400, "patchMode must be scan or install.")
            }
        default:
            throw PluginHTTPError(400, "mode must be command, script or patch.")
        }
        let candidates = try JSONDecoder().decode(
            [BulkTarget.Candidate].self, from: try await host.coreData(kindNamed: "agent_targets", id: query))
        // Agents outside the caller's role scope are left out, as Tactical RMM's
        // filter_by_role does.
        let scope = req.roleScope
        // What the body names must itself be visible: a client, site or agent outside the
        // scope is a 404, as if it did not exist, and nothing runs.
        if !scope.isUnrestricted {
            let visible = candidates.filter { scope.allows(clientID: $0.clientID, siteID: $0.siteID) }
            switch target.target {
            case .client:
                if let client = target.client, !scope.clients.contains(client), !visible.contains(where: { $0.clientID == client }) {
                    throw PluginHTTPError(404, "No client with id \(client).")
                }
            case .site:
                if let site = target.site, !scope.sites.contains(site), !visible.contains(where: { $0.siteID == site }) {
                    throw PluginHTTPError(404, "No site with id \(site).")
                }
            case .agents:
                let seen = Set(visible.map(\.agentID))
                if let missing = (target.agents ?? []).first(where: { !seen.contains($0) }) {
                    throw PluginHTTPError(404, "No agent with id \(missing).")
                }
            case .all:
                break
            }
        }
        let selected = target.select(candidates).filter { scope.allows(clientID: $0.clientID, siteID: $0.siteID) }
        guard !selected.isEmpty else { throw PluginHTTPError(400, "No agents match that target.") }
        struct ID: Decodable { let id: Int }
        var request = try JSON(parsing: req.body)
        if case .object(var members) = request { members["mode"] = .string(body.mode); request = .object(members) }
        let bulkID = try await host.query(
            "INSERT INTO bulk_runs (mode, request, total, username) VALUES ($1, $2::jsonb, $3::int, $4) RETURNING id",
            [body.mode, String(decoding: try JSONEncoder().encode(request), as: UTF8.self), selected.count, req.username], as: ID.self)[0]
            .id
        let rows = JSON.array(selected.map { ["agent_id": .string($0.agentID), "hostname": .string($0.hostname)] })
        try await host.execute(
            """
            INSERT INTO bulk_results (bulk_id, agent_id, hostname) SELECT $1::bigint, r.agent_id, r.hostname FROM jsonb_to_recordset($2::jsonb) AS r(agent_id text, hostname text)
            """, [bulkID, String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)])
        try? host.audit(
            action: "scripting.bulk_\(body.mode)", username: req.username, object: "bulk:\(bulkID)",
            detail: [
                "agents": .number(Double(selected.count)), "script": script.map { .string($0.name) } ?? .null,
                "cmd": body.cmd.map(JSON.string) ?? .null,
            ])
        if body.mode == "patch" {
            // Installs need the approved updates, which the patching plugin (winupdate) keeps, and
            // Linux agents scan through its package scan script: it takes these agents from the
            // event (an install: online Windows and Linux agents; a scan: online Linux agents).
            let install = body.patchMode == "install"
            let agents = selected.filter { ($0.plat == "linux" || (install && $0.plat == "windows")) && $0.isOnline }
                .map { JSON.string($0.agentID) }
            if !agents.isEmpty {
                try host.publish(
                    event: "scripting.bulk.patch",
                    json: JSON.object([
                        "bulk_id": .number(Double(bulkID)), "patch_mode": .string(body.patchMode ?? ""), "agents": .array(agents),
                        "username": .string(req.username),
                    ]))
            }
        }
        let snippets = script == nil ? [:] : try await scripting.library.snippetCodes()
        let username = req.username
        Task {
            await self.dispatch(
                bulkID, body: body, script: script, snippets: snippets, agents: selected, query: query, username: username,
                scripting: scripting)
        }
        return try .json(JSON.object(["bulk_id": .number(Double(bulkID)), "total": .number(Double(selected.count))]))
    }

    /// What goes to one agent: the command with its `_options`, and the reply timeout.
    struct Prepared: Sendable {
        let command: EncodedJSON
        let timeout: Int
    }

    func dispatch(
        _ bulkID: Int, body: Body, script: Script?, snippets: [String: String], agents: [BulkTarget.Candidate], query: String,
        username: String, scripting: Scripting
    ) async {
        let texts = (body.args ?? script?.args ?? []) + (body.envVars ?? script?.envVars ?? []) + [body.cmd ?? ""]
        let variables = Templates.variables(in: texts).compactMap(Variable.init)
        let needsContext = !variables.isEmpty
        // Every agent's {{agent.x}} values in one host call, and each client, site and the
        // key store read once for the whole run.
        var contexts: Result<Contexts, any Error>?
        if needsContext {
            do {
                let decoder = JSONDecoder()
                decoder.userInfo[AgentVariablesRow.wanted] = Set(variables.filter { $0.scope == .agent }.map(\.name))
                let rows = try decoder.decode(
                    [AgentVariablesRow].self, from: try await host.coreData(kindNamed: "agent_variables", id: query))
                contexts = .success(
                    Contexts(
                        agents: Dictionary(rows.map { ($0.agentID, $0.object) }, uniquingKeysWith: { first, _ in first }),
                        lookups: CoreLookups(host: host)))
            } catch {
                contexts = .failure(error)
            }
        }
        // Snippets are inlined once for the run, not once per agent (a 100 KB script to
        // 10,000 agents would otherwise copy a gigabyte).
        var expanded = script
        expanded?.code = Templates.expandSnippets(script?.code ?? "", snippets: snippets)
        let plan = Plan(bulkID: bulkID, body: body, script: expanded, snippets: [:], username: username, scripting: scripting)
        // Without per-agent variables the command differs only by platform and by whether it
        // may be queued: build and encode it once per pair, not once per agent.
        var shared: [String: Result<Prepared, ScriptingError>] = [:]
        if !needsContext, body.mode != "patch" {
            for agent in agents where shared[Plan.key(agent)] == nil {
                shared[Plan.key(agent)] = Result { () throws(ScriptingError) in try plan.prepare(agent, context: VariableContext()) }
            }
        }
        let prepared = shared
        let known = contexts
        await withTaskGroup(of: Void.self) { group in
            for agent in agents {
                group.addTask {
                    let outcome = await self.runOne(agent, plan: plan, prepared: prepared[Plan.key(agent)], contexts: known, texts: texts)
                    await self.recorder.add(outcome)
                }
            }
        }
        await recorder.flush()
    }

    /// What a run's variables read: the agents' own values and a memo for the rest.
    struct Contexts: Sendable {
        let agents: [String: JSON]
        let lookups: CoreLookups
    }

    /// One bulk run's request, turned into each agent's command.
    struct Plan: Sendable {
        let bulkID: Int
        let body: Body
        let script: Script?
        let snippets: [String: String]
        let username: String
        let scripting: Scripting

        var origin: String { "bulk:\(bulkID)" }

        static func key(_ agent: BulkTarget.Candidate) -> String { "\(agent.plat)|\(agent.isOnline)" }

        func prepare(_ agent: BulkTarget.Candidate, context: VariableContext) throws(ScriptingError) -> Prepared {
            let queue = !agent.isOnline
            let command: JSON
            let timeout: Int
            if body.mode == "script", let script {
                let run = try RunCommand.script(
                    script, full: true, args: body.args, envVars: body.envVars, timeout: body.timeout, runAsUser: body.runAsUser,
                    snippets: snippets, context: context, plat: agent.plat,
                    nushellEnableConfig: scripting.settings.nushellEnableConfig,
                    denoDefaultPermissions: scripting.settings.denoDefaultPermissions)
                timeout = run.timeout
                command = scripting.command(
                    run,
                    options: Scripting.historyOptions(
                        type: "script_run", scriptName: script.name, origin: origin, username: username, queue: queue))
            } else {
                let run = try RunCommand.command(
                    body.cmd ?? "", shell: body.shell ?? "", customShell: body.customShell, timeout: body.timeout ?? 30,
                    runAsUser: body.runAsUser ?? false, context: context, plat: agent.plat)
                timeout = run.timeout
                command = scripting.command(
                    run,
                    options: Scripting.historyOptions(
                        type: "cmd_run", command: run.payload["command"] ?? "", scriptName: "", origin: origin, username: username,
                        queue: queue))
            }
            do { return Prepared(command: try EncodedJSON(command), timeout: timeout) } catch {
                throw ScriptingError("cannot encode the command: \(error)")
            }
        }
    }

    func runOne(
        _ agent: BulkTarget.Candidate, plan: Plan, prepared: Result<Prepared, ScriptingError>?, contexts: Result<Contexts, any Error>?,
        texts: [String]
    ) async -> Recorder.Outcome {
        func failed(_ text: String) -> Recorder.Outcome {
            .init(bulkID: plan.bulkID, agentID: agent.agentID, status: "error", historyID: nil, pendingActionID: nil, result: .string(text))
        }
        do {
            let queue = !agent.isOnline
            if plan.body.mode == "patch", plan.body.patchMode == "install" || agent.plat == "linux" {
                guard agent.plat == "windows" || agent.plat == "linux" else { return failed("patching needs a Windows or Linux agent") }
                guard agent.isOnline else { return failed("the agent is offline; its approved updates install at its policy's next time") }
                return .init(bulkID: plan.bulkID, agentID: agent.agentID, status: "sent", historyID: nil, pendingActionID: nil, result: nil)
            }
            if plan.body.mode == "patch" {
                guard agent.plat == "windows" else { return failed("patch scans need a Windows agent") }
                try host.agentSend(
                    agentID: agent.agentID,
                    payload: JSON.object([
                        "func": "getwinupdates",
                        "_options": Scripting.historyOptions(
                            type: "command", command: "getwinupdates", scriptName: "", origin: plan.origin, username: plan.username,
                            queue: queue),
                    ]))
                return .init(
                    bulkID: plan.bulkID, agentID: agent.agentID, status: queue ? "queued" : "sent", historyID: nil, pendingActionID: nil,
                    result: nil)
            }
            let ready: Prepared
            if let prepared {
                ready = try prepared.get()
            } else {
                var context = VariableContext()
                if let contexts {
                    let known = try contexts.get()
                    guard let object = known.agents[agent.agentID] else { return failed("agent \(agent.agentID) no longer exists") }
                    context = try await plan.scripting.target(agent: object, texts: texts, lookups: known.lookups).context
                }
                ready = try plan.prepare(agent, context: context)
            }
            let envelope = try await host.agentRequest(agentID: agent.agentID, payload: ready.command, timeout: .seconds(ready.timeout + 5))
            let status = envelope["status"]?.stringValue ?? "error"
            return .init(
                bulkID: plan.bulkID, agentID: agent.agentID, status: status == "ok" ? "completed" : status,
                historyID: envelope["history_id"]?.intValue,
                pendingActionID: envelope["pending_action_id"]?.intValue, result: envelope["reply"])
        } catch let error as ScriptingError {
            return failed(error.description)
        } catch {
            return failed("\(error)")
        }
    }

    func progress(_ id: Int, results: Bool, onlyBy username: String?) async throws -> PluginResponse {
        struct Run: Codable { let id: Int; let mode: String; let total: Int; let username: String; let created: String }
        guard
            let run = try await host.query(
                "SELECT id, mode, total, username, created::text AS created FROM bulk_runs WHERE id = $1", [id], as: Run.self
            ).first,
            username == nil || run.username == username
        else {
            throw PluginHTTPError(404, "No bulk run \(id).")
        }
        struct Count: Decodable { let status: String; let n: Int }
        let counts = try await host.query(
            "SELECT status, count(*)::int AS n FROM bulk_results WHERE bulk_id = $1 GROUP BY status", [id], as: Count.self)
        var object: [String: JSON] = [
            "id": .number(Double(run.id)), "mode": .string(run.mode), "total": .number(Double(run.total)),
            "username": .string(run.username),
            "created": .string(run.created),
            "counts": .object(Dictionary(counts.map { ($0.status, JSON.number(Double($0.n))) }, uniquingKeysWith: { a, _ in a })),
        ]
        object["finished"] = .bool(counts.filter { $0.status == "pending" }.isEmpty)
        if results {
            let rows = try JSON(
                parsing: try await host.queryJSON(
                    """
                    SELECT agent_id, hostname, status, history_id, pending_action_id, result, updated::text AS updated FROM bulk_results WHERE bulk_id = $1 ORDER BY hostname, agent_id
                    """, [id]))
            object["results"] = rows
        }
        return try .json(JSON.object(object))
    }

    /// Buffers per-agent outcomes and writes them in batches: one statement per few hundred
    /// agents instead of one per agent.
    actor Recorder {
        struct Outcome: Sendable, Encodable {
            let bulkID: Int
            let agentID: String
            let status: String
            let historyID: Int?
            let pendingActionID: Int?
            let result: JSON?

            enum CodingKeys: String, CodingKey {
                case status, result
                case bulkID = "bulk_id", agentID = "agent_id", historyID = "history_id", pendingActionID = "pending_action_id"
            }
        }

        let host: PluginHost
        var buffer: [Outcome] = []
        var flushScheduled = false
        static let batch = 500

        init(host: PluginHost) { self.host = host }

        func add(_ outcome: Outcome) {
            buffer.append(outcome)
            if buffer.count >= Self.batch {
                Task { await self.flush() }
            } else if !flushScheduled {
                flushScheduled = true
                Task {
                    try? await Task.sleep(for: .milliseconds(50))
                    await self.flush()
                }
            }
        }

        func flush() async {
            flushScheduled = false
            guard !buffer.isEmpty else { return }
            let rows = buffer
            buffer = []
            do {
                // A later "completed" (histresult) is never overwritten by an earlier state.
                try await host.execute(
                    """
                    UPDATE bulk_results b SET status = v.status, history_id = coalesce(v.history_id, b.history_id),
                        pending_action_id = coalesce(v.pending_action_id, b.pending_action_id), result = coalesce(v.result, b.result), updated = now()
                    FROM jsonb_to_recordset($1::jsonb) AS v(bulk_id bigint, agent_id text, status text, history_id bigint, pending_action_id bigint, result jsonb)
                    WHERE b.bulk_id = v.bulk_id AND b.agent_id = v.agent_id AND (b.status <> 'completed' OR v.status = 'completed')
                    """, [String(decoding: try JSONEncoder().encode(rows), as: UTF8.self)])
            } catch {
                host.log(.error, "bulk results: \(rows.count) not stored: \(error)")
            }
        }
    }
}
