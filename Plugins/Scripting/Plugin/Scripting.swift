import PluginKit
import ScriptingCore
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// scripting -- Tactical RMM's script library, script runs, bulk actions and automated tasks.
///
/// Library [can_list_scripts / can_manage_scripts]:
///   GET POST /scripts/, GET PUT DELETE /scripts/<pk>/, GET /scripts/<pk>/download/,
///   GET POST /scripts/snippets/, GET PUT DELETE /scripts/snippets/<pk>/,
///   GET /scripts/export/ and POST /scripts/import/ (one sorted, pretty JSON file: a library
///   that lives in git).
/// Runs [can_run_scripts]: POST /scripts/<agent_id>/test/ (runscriptfull, waits),
///   POST /agents/<agent_id>/runscript/ with output wait | forget | note | collector.
/// Bulk [can_run_bulk]: POST /agents/actions/bulk/ answers {"bulk_id"} at once;
///   GET /agents/actions/bulk/<pk>/ shows progress and per-agent results.
/// Tasks [can_list_autotasks / can_manage_autotasks / can_run_autotasks]: GET POST /tasks/,
///   GET PUT DELETE /tasks/<pk>/, POST /tasks/<pk>/run/, GET /agents/<agent_id>/tasks/;
///   the agent: GET PATCH /api/v3/<pk>/<agent_id>/taskrunner/.
final class Scripting: GarrisonPlugin {
    static let name: StaticString = "scripting"
    static let version: StaticString = "0.1.0"
    static let minHostMinor: UInt16 = 1

    struct Settings: Decodable {
        var nushellEnableConfig = false
        var denoDefaultPermissions = ""

        enum CodingKeys: String, CodingKey {
            case nushellEnableConfig = "nushell_enable_config", denoDefaultPermissions = "deno_default_permissions"
        }

        init() {}

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            nushellEnableConfig = try c.decodeIfPresent(Bool.self, forKey: .nushellEnableConfig) ?? false
            denoDefaultPermissions = try c.decodeIfPresent(String.self, forKey: .denoDefaultPermissions) ?? ""
        }
    }

    let host: PluginHost
    let settings: Settings
    let library: Library
    let bulk: BulkRuns
    let tasks: Tasks

    init(host: PluginHost) throws {
        self.host = host
        settings = try host.settings(Settings.self)
        library = Library(host: host)
        bulk = BulkRuns(host: host)
        tasks = Tasks(host: host)
    }

    func register(_ r: Registrar) throws {
        try r.migration(version: 1, sql: Schema.v1)
        try library.register(r)
        try registerRuns(r)
        try bulk.register(r, scripting: self)
        try tasks.register(r, scripting: self)
        try registerImport(r)
        try registerAlertActions(r)
        try r.migration(version: 3, sql: Schema.v3)
    }

    // MARK: preparing a run for one agent

    /// An agent as a run needs it: platform, name and the values its variables can read.
    struct Target: Sendable {
        let agentID: String
        let hostname: String
        let plat: String
        let context: VariableContext
    }

    /// Reads the agent, and its client, site and the key store only when `texts` use them.
    /// An agent outside the caller's role `scope` is a 404, as if it did not exist.
    func target(_ agentID: String, texts: [String], scope: RoleScope = RoleScope()) async throws -> Target {
        let agent: JSON
        do {
            agent = try await host.coreObject(kind: .agent, id: agentID)
        } catch let error as PluginError where error.status == .notFound {
            throw PluginHTTPError(404, "No agent with id \(agentID).")
        }
        guard scope.allows(clientID: agent["client"]?.intValue ?? 0, siteID: agent["site"]?.intValue) else {
            throw PluginHTTPError(404, "No agent with id \(agentID).")
        }
        return try await target(agent: agent, texts: texts)
    }

    /// 404 unless the caller's role may see the agent.
    func ensureVisible(_ req: PluginRequest, agentID: String) async throws {
        let scope = req.roleScope
        guard !scope.isUnrestricted else { return }
        let agent: JSON
        do { agent = try await host.coreObject(kind: .agentBrief, id: agentID) } catch let error as PluginError
            where error.status == .notFound
        {
            throw PluginHTTPError(404, "No agent with id \(agentID).")
        }
        guard scope.allows(clientID: agent["client"]?.intValue ?? 0, siteID: agent["site"]?.intValue) else {
            throw PluginHTTPError(404, "No agent with id \(agentID).")
        }
    }

    /// The agent_ids the caller's role may see; nil when it sees every agent.
    func visibleAgentIDs(_ req: PluginRequest) async throws -> Set<String>? {
        let scope = req.roleScope
        guard !scope.isUnrestricted else { return nil }
        var ids: Set<String> = []
        for target in scope.clients.map({ "client:\($0)" }) + scope.sites.map({ "site:\($0)" }) {
            // A role may still name a client or site deleted since: it holds no agents.
            do {
                ids.formUnion(try await host.coreObject(kind: .agents, id: target).arrayValue?.compactMap(\.stringValue) ?? [])
            } catch let error as PluginError where error.status == .notFound {
                continue
            }
        }
        return ids
    }

    /// `lookups`: a bulk run's memo, so thousands of agents of one client read it once.
    func target(agent: JSON, texts: [String], lookups: CoreLookups? = nil) async throws -> Target {
        let variables = Templates.variables(in: texts).compactMap(Variable.init)
        var context = VariableContext(agent: agent.variableFields)
        let scopes = Set(variables.map(\.scope))
        let lookups = lookups ?? CoreLookups(host: host)
        if scopes.contains(.client), let id = agent["client"]?.intValue {
            context.client = try await lookups.get(CoreKind.client.rawValue, String(id))
        }
        if scopes.contains(.site), let id = agent["site"]?.intValue {
            context.site = try await lookups.get(CoreKind.site.rawValue, String(id))
        }
        if scopes.contains(.global) {
            context.global = try await lookups.get("global", "*")
        }
        return Target(
            agentID: agent["agent_id"]?.stringValue ?? "", hostname: agent["hostname"]?.stringValue ?? "",
            plat: agent["plat"]?.stringValue ?? "windows", context: context)
    }

    func command(_ run: RunCommand, options: JSON? = nil) -> JSON {
        var object = run.members
        if let options { object["_options"] = options }
        return .object(object)
    }

    static func historyOptions(
        type: String, command: String = "", scriptName: String, origin: String, username: String,
        queue: Bool = true, saveResult: JSON? = nil
    ) -> JSON {
        var options: [String: JSON] = [
            "history": ["type": .string(type), "command": .string(command), "script_name": .string(scriptName), "origin": .string(origin)],
            "queue_if_offline": .bool(queue), "username": .string(username),
        ]
        if let saveResult { options["save_result"] = saveResult }
        return .object(options)
    }

    // MARK: runs

    struct RunScriptBody: Decodable {
        var script: Int
        var output: String?
        var args: [String]?
        var envVars: [String]?
        var timeout: Int?
        var runAsUser: Bool?
        var customField: String?
        var saveAllOutput: Bool?

        enum CodingKeys: String, CodingKey {
            case script, output, args, timeout
            case envVars = "env_vars", runAsUser = "run_as_user", customField = "custom_field", saveAllOutput = "save_all_output"
        }
    }

    struct TestBody: Decodable {
        var code: String
        var shell: ScriptShell
        var args: [String]?
        var envVars: [String]?
        var timeout: Int?
        var runAsUser: Bool?

        enum CodingKeys: String, CodingKey {
            case code, shell, args, timeout
            case envVars = "env_vars", runAsUser = "run_as_user"
        }
    }

    func registerRuns(_ r: Registrar) throws {
        try r.route(.post, "/agents/<agent_id>/runscript/", permission: "can_run_scripts") { req in
            try await self.runScript(req)
        }
        // <pk> is the agent: the segment is shared with /scripts/<pk>/.
        try r.route(.post, "/scripts/<pk>/test/", permission: "can_run_scripts") { req in
            let body: TestBody = try req.json()
            let snippets = try await self.library.snippetCodes()
            let script = Script(
                name: "test", shell: body.shell, code: body.code, args: body.args ?? [], envVars: body.envVars ?? [],
                defaultTimeout: body.timeout ?? 90, runAsUser: body.runAsUser ?? false)
            let target = try await self.target(req.params["pk"] ?? "", texts: script.args + script.envVars, scope: req.roleScope)
            let run = try checked { () throws(ScriptingError) in
                try RunCommand.script(
                    script, full: true, args: nil, envVars: nil, timeout: nil, runAsUser: nil, snippets: snippets,
                    context: target.context, plat: target.plat, nushellEnableConfig: self.settings.nushellEnableConfig,
                    denoDefaultPermissions: self.settings.denoDefaultPermissions)
            }
            try? req.setTimeout(.seconds(run.timeout + 10))
            let reply = try await self.request(target.agentID, self.command(run), timeout: run.timeout)
            return try .json(reply)
        }
    }

    /// Sends and waits a little longer than the script may run.
    func request(_ agentID: String, _ command: JSON, timeout: Int) async throws -> JSON {
        do {
            return try await host.agentRequest(agentID: agentID, payload: command, timeout: .seconds(timeout + 5))
        } catch let error as PluginError {
            switch error.status {
            case .timeout: throw PluginHTTPError(504, "The agent did not answer in time.")
            case .unavailable: throw PluginHTTPError(503, "The agent cannot be reached now (offline, or the agent bus is down).")
            case .notFound: throw PluginHTTPError(404, "No agent with id \(agentID).")
            default: throw error
            }
        }
    }

    func runScript(_ req: PluginRequest) async throws -> PluginResponse {
        let body: RunScriptBody = try req.json()
        let output = body.output ?? "wait"
        guard ["wait", "forget", "note", "collector"].contains(output) else {
            throw PluginHTTPError(400, "output must be wait, forget, note or collector.")
        }
        guard let script = try await library.script(body.script) else { throw PluginHTTPError(404, "No script \(body.script).") }
        let target = try await self.target(
            req.params["agent_id"] ?? "", texts: (body.args ?? script.args) + (body.envVars ?? script.envVars), scope: req.roleScope)
        let snippets = try await library.snippetCodes()
        let run = try checked { () throws(ScriptingError) in
            try RunCommand.script(
                script, full: false, args: body.args, envVars: body.envVars, timeout: body.timeout, runAsUser: body.runAsUser,
                snippets: snippets, context: target.context, plat: target.plat,
                nushellEnableConfig: settings.nushellEnableConfig, denoDefaultPermissions: settings.denoDefaultPermissions)
        }
        var sink: JSON?
        switch output {
        case "note": sink = ["note": true]
        case "collector":
            guard let field = body.customField, !field.isEmpty else {
                throw PluginHTTPError(400, "collector needs custom_field (the agent custom field's name).")
            }
            sink = ["custom_field": .string(field), "all_output": .bool(body.saveAllOutput ?? false)]
        default: break
        }
        let options = Self.historyOptions(
            type: "script_run", scriptName: script.name, origin: "scripting:runscript", username: req.username, saveResult: sink)
        // The arguments as the operator wrote them: resolved {{global.x}} values are key-store
        // secrets, and the audit log is readable by roles that cannot read the key store.
        try? host.audit(
            action: "scripting.run_script", username: req.username, agentID: target.agentID, object: "script:\(body.script)",
            detail: [
                "script": .string(script.name), "output": .string(output), "args": .array((body.args ?? script.args).map(JSON.string)),
            ])
        if output == "forget" {
            do {
                try host.agentSend(agentID: target.agentID, payload: command(run, options: options))
            } catch let error as PluginError where error.status == .unavailable {
                throw PluginHTTPError(503, "The agent bus is down.")
            }
            return try .json(JSON.string("\(script.name) will now be run on \(target.hostname)"))
        }
        // Wait as long as the script may run, not the host's plugin deadline (30 s by default);
        // a 1.1 host has no call_set_timeout and keeps its own.
        try? req.setTimeout(.seconds(run.timeout + 10))
        let envelope = try await request(target.agentID, command(run, options: options), timeout: run.timeout)
        switch envelope["status"]?.stringValue {
        case "ok": return try .json(envelope["reply"] ?? .null)
        case "queued":
            return try .json([
                "status": "queued", "history_id": envelope["history_id"] ?? .null,
                "pending_action_id": envelope["pending_action_id"] ?? .null,
                "detail": .string("\(target.hostname) is offline: the script runs when it is back."),
            ])
        case "timeout":
            throw PluginHTTPError(504, "The agent did not answer within \(run.timeout) seconds; the result will still reach its history.")
        default: throw PluginHTTPError(503, "The agent bus is down.")
        }
    }
}
