import ChecksCore
import Foundation
import PluginKit

/// The agent's check runner calls (docs/agent-protocol.md §7.5, §7.6), authenticated by the
/// agent's token (permission "agent"); the agent_id in a path or body must be the token's.
extension Checks {
    func registerAgentRoutes(_ r: Registrar) throws {
        try r.route(.get, "/api/v3/<agent_id>/checkrunner/", permission: "agent") { req in try await self.checkList(req, dueOnly: true) }
        try r.route(.get, "/api/v3/<agent_id>/runchecks/", permission: "agent") { req in try await self.checkList(req, dueOnly: false) }
        try r.route(.get, "/api/v3/<agent_id>/checkinterval/", permission: "agent") { req in try await self.checkInterval(req) }
        try r.route(.patch, "/api/v3/checkrunner/", permission: "agent") { req in try await self.submit(req) }
    }

    /// The calling agent's facts; the path or body must name the token's agent.
    func caller(_ req: PluginRequest, claimed: String?) async throws -> AgentFacts {
        guard req.principal["kind"]?.stringValue == "agent", let agentID = req.principal["agent_id"]?.stringValue else {
            throw PluginHTTPError(401, "Authentication credentials were not provided.")
        }
        // Another agent's name: refused as the host's own agent routes refuse it (403).
        if let claimed, claimed != agentID { throw PluginHTTPError(403, "agent_id does not match the token") }
        guard let facts = try await agents.facts(agentID) else { throw PluginHTTPError(404, "Not found.") }
        return facts
    }

    static func pgArray(_ ids: [Int]) -> String { "{" + ids.map(String.init).joined(separator: ",") + "}" }

    /// The agent's checks after policy merging, each with its state for this agent.
    func effectiveChecks(_ agent: AgentFacts) async throws -> [(check: CheckDefinition, version: String, state: CheckWithState)] {
        let held = definitions.lookup(definitions.checkIDs(of: agent.agentID))
        let heldIDs = Array(held.keys)
        // Versions look like "1234:(0,5)": quoted as array elements.
        let heldVersions = "{" + heldIDs.map { "\"" + held[$0]!.version + "\"" }.joined(separator: ",") + "}"
        let rows = try await host.queryRows(
            Store.agentChecksSQL, [agent.agentID, Self.pgArray(agent.policyIDs), Self.pgArray(heldIDs), heldVersions]
        )
        .map(VersionedCheck.init(row:))
        var fresh: [Int: DefinitionCache.Entry] = [:]
        var checks: [CheckDefinition] = []
        var byID: [Int: (version: String, state: CheckWithState)] = [:]
        for row in rows {
            guard let check = DefinitionCache.resolve(row, held: held, fresh: &fresh) else {
                throw PluginHTTPError(503, "check \(row.id) changed while it was read; try again")
            }
            checks.append(check)
            byID[row.id] = (row.version, row.state)
        }
        definitions.store(fresh)
        definitions.remember(agent.agentID, checkIDs: rows.map(\.id))
        // The agent runs these checks next and sends their results: evaluated against this.
        states.offer(
            Dictionary(
                rows.map { (ResultStateCache.Key(agentID: agent.agentID, checkID: $0.id), ResultStateCache.State($0.state)) },
                uniquingKeysWith: { a, _ in a }))
        let merged = PolicyMerge.merge(
            agentChecks: checks.filter { $0.policy_id == nil }, policies: agent.policies,
            policyChecks: checks.filter { $0.policy_id != nil }, plat: agent.plat)
        return merged.checks.map { check in
            let row = byID[check.id]!
            return (check, row.version, row.state)
        }
    }

    func checkList(_ req: PluginRequest, dueOnly: Bool) async throws -> PluginResponse {
        let agent = try await caller(req, claimed: req.params["agent_id"])
        let all = try await effectiveChecks(agent)
        let now = Date().timeIntervalSince1970
        let run =
            dueOnly
            ? all.filter {
                CheckSchedule.isDue(
                    lastRun: $0.state.r_last_run_epoch, runInterval: $0.check.run_interval, agentInterval: agent.checkInterval, now: now)
            }
            : all
        let interval =
            dueOnly
            ? CheckSchedule.jittered(
                CheckSchedule.runInterval(agentInterval: agent.checkInterval, checkIntervals: all.map(\.check.run_interval)))
            : agent.checkInterval
        let variables = try await variables(for: run.map(\.check), agent: agent)
        // {"agent":..,"check_interval":..,"checks":[..]}: keys in the order JSONCoding sorts them.
        var body = Data("{\"agent\":\(agent.pk),\"check_interval\":\(interval),\"checks\":[".utf8)
        for (index, item) in run.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(try runnerBytes(item.check, version: item.version, agent: agent, variables: variables))
        }
        body.append(contentsOf: "]}".utf8)
        return PluginResponse(status: 200, contentType: "application/json", body: body)
    }

    func checkInterval(_ req: PluginRequest) async throws -> PluginResponse {
        let agent = try await caller(req, claimed: req.params["agent_id"])
        let all = try await effectiveChecks(agent)
        let interval = CheckSchedule.jittered(
            CheckSchedule.runInterval(agentInterval: agent.checkInterval, checkIntervals: all.map(\.check.run_interval)))
        return try .json(["agent": JSON.number(Double(agent.pk)), "check_interval": .number(Double(interval))] as JSON)
    }

    /// The objects the checks' {{...}} variables need, fetched only when referenced.
    func variables(for checks: [CheckDefinition], agent: AgentFacts) async throws -> ScriptVariables {
        let refs = ScriptVariables.references(checks.flatMap(\.variableTexts))
        // The agent object is parsed only for checks that read {{agent.x}}.
        var vars = ScriptVariables(agent: refs.contains("agent") ? agent.object : .null)
        if refs.contains("client") { vars.client = (try? await host.coreObject(kind: .client, id: String(agent.clientID))) ?? .null }
        if refs.contains("site") { vars.site = (try? await host.coreObject(kind: .site, id: String(agent.siteID))) ?? .null }
        if refs.contains("global"), case .object(let keys)? = try? await host.coreObject(kindNamed: "global", id: "*") {
            vars.global = keys.compactMapValues(\.stringValue)
        }
        return vars
    }

    /// runnerJSON's text, from the cache when it is the same for every agent: no variables
    /// to resolve, and "agent" either null (a policy check) or the check's own agent's pk.
    func runnerBytes(_ check: CheckDefinition, version: String, agent: AgentFacts, variables: ScriptVariables) throws -> Data {
        let shared = ScriptVariables.references(check.variableTexts).isEmpty && (check.policy_id != nil || check.agent_pk == agent.pk)
        if shared, let bytes = runners.bytes(check: check.id, version: version) { return bytes }
        let bytes = try EncodedJSON(runnerJSON(check, agent: agent, variables: variables)).data
        if shared { runners.store(check: check.id, version: version, bytes: bytes) }
        return bytes
    }

    /// A check as the agent reads it (`CheckRunnerGetSerializer`).
    func runnerJSON(_ c: CheckDefinition, agent: AgentFacts, variables: ScriptVariables) -> JSON {
        func s(_ v: String?) -> JSON { v.map(JSON.string) ?? .null }
        func i(_ v: Int?) -> JSON { v.map { .number(Double($0)) } ?? .null }
        func ints(_ v: [Int]) -> JSON { .array(v.map { .number(Double($0)) }) }
        var script: JSON = .null, args: [String] = [], env: [String] = []
        if c.check_type == .script, let body = c.script {
            args = variables.arguments(c.script_args, shell: body.shell)
            env = variables.environment(c.env_vars.isEmpty ? body.env_vars : c.env_vars)
            script = [
                "code": .string(body.code), "shell": .string(body.shell), "run_as_user": .bool(body.run_as_user),
                "env_vars": .array(body.env_vars.map(JSON.string)), "script_hash": .string(body.script_hash),
            ]
        }
        return [
            "id": i(c.id), "agent": c.policy_id == nil ? i(agent.pk) : .null, "check_type": .string(c.check_type.rawValue),
            "run_interval": i(c.run_interval), "alert_severity": .string(c.alert_severity.rawValue),
            "error_threshold": i(c.error_threshold), "warning_threshold": i(c.warning_threshold), "disk": s(c.disk), "ip": s(c.ip),
            "script": script, "script_args": .array(args.map(JSON.string)), "env_vars": .array(env.map(JSON.string)),
            "info_return_codes": ints(c.info_return_codes), "warning_return_codes": ints(c.warning_return_codes),
            "success_return_codes": ints(c.success_return_codes), "timeout": i(c.timeout), "svc_name": s(c.svc_name),
            "pass_if_start_pending": .bool(c.pass_if_start_pending), "pass_if_svc_not_exist": .bool(c.pass_if_svc_not_exist),
            "restart_if_stopped": .bool(c.restart_if_stopped), "log_name": s(c.log_name?.rawValue), "event_id": i(c.event_id),
            "event_id_is_wildcard": .bool(c.event_id_is_wildcard), "event_type": s(c.event_type?.rawValue),
            "event_source": s(c.event_source), "event_message": s(c.event_message), "fail_when": s(c.fail_when?.rawValue),
            "search_last_days": i(c.search_last_days), "number_of_events_b4_alert": i(c.number_of_events_b4_alert),
            "managed_by_policy": .bool(c.policy_id != nil),
        ]
    }

    /// `PATCH /api/v3/checkrunner/`: one result, evaluated and written with the others
    /// arriving at the same time (ResultBatch).
    /// A malformed body, a check that is not the agent's, or a body of the wrong shape for
    /// the check's type is a 400 and changes nothing.
    func submit(_ req: PluginRequest) async throws -> PluginResponse {
        guard let head = try? JSONDecoder().decode(ResultHead.self, from: req.body) else {
            throw PluginHTTPError(400, "invalid request body: not a JSON object")
        }
        guard head.hasAgentID else { throw PluginHTTPError(400, "Agent upgrade required") }
        guard let claimedID = head.agentID else { throw PluginHTTPError(400, "\"agent_id\" must be a string") }
        guard let checkID = head.id else { throw PluginHTTPError(400, "\"id\" must be a check id") }
        let agent = try await caller(req, claimed: claimedID)
        switch try await results.submit(agent: agent, checkID: checkID, body: req.body) {
        case .stored: return try .json(JSON.string("ok"))
        case .refused(let detail): throw PluginHTTPError(400, detail)
        }
    }

    /// The keys every result has, read without the rest of the body.
    struct ResultHead: Decodable {
        let hasAgentID: Bool
        let agentID: String?
        let id: Int?
        enum CodingKeys: String, CodingKey { case agent_id, id }
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            hasAgentID = c.contains(.agent_id)
            agentID = try? c.decode(String.self, forKey: .agent_id)
            id = try? c.decode(Int.self, forKey: .id)
        }
    }

    /// Tasks assigned to a check run after each failing result (`runtask`, no reply).
    func runAssignedTasks(_ check: CheckDefinition, agent: AgentFacts) {
        for task in check.assigned_tasks {
            do { try host.agentSend(agentID: agent.agentID, payload: ["func": "runtask", "taskpk": .number(Double(task))] as JSON) } catch {
                host.log(.notice, "runtask \(task) for check \(check.id) on \(agent.agentID): \(error)")
            }
        }
    }
}
