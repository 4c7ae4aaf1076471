import ChecksCore
import Foundation
import PluginKit

/// The operator's check routes (Tactical RMM's `api/checks/urls.py`, plus the agent and
/// policy check lists). Writes are audited through the host.
extension Checks {
    func registerOperatorRoutes(_ r: Registrar) throws {
        let list = "can_list_checks", manage = "can_manage_checks", run = "can_run_checks"
        try r.route(.get, "/checks/", permission: list) { req in try await self.listAll(req) }
        try r.route(.post, "/checks/", permission: manage) { req in try await self.create(req, owner: nil) }
        try r.route(.get, "/checks/<pk>/", permission: list) { req in try await self.getOne(req) }
        try r.route(.put, "/checks/<pk>/", permission: manage) { req in try await self.edit(req) }
        try r.route(.delete, "/checks/<pk>/", permission: manage) { req in try await self.remove(req) }
        try r.route(.get, "/agents/<agent_id>/checks/", permission: list) { req in try await self.agentChecks(req) }
        try r.route(.post, "/agents/<agent_id>/checks/", permission: manage) { req in
            try await self.create(req, owner: .agent(req.params["agent_id"] ?? ""))
        }
        try r.route(.get, "/automation/policies/<pk>/checks/", permission: list) { req in try await self.policyChecks(req) }
        try r.route(.post, "/automation/policies/<pk>/checks/", permission: manage) { req in
            try await self.create(req, owner: .policy(try Self.intParam(req, "pk")))
        }
        try r.route(.get, "/automation/checks/<pk>/status/", permission: list) { req in try await self.policyCheckStatus(req) }
        try r.route(.post, "/checks/<pk>/reset/", permission: manage) { req in try await self.reset(req) }
        try r.route(.post, "/checks/<agent_id>/resetall/", permission: manage) { req in try await self.resetAll(req) }
        try r.route(.post, "/checks/<agent_id>/run/", permission: run) { req in try await self.runNow(req) }
        try r.route(.post, "/checks/<target>/<pk>/csbulkrun/", permission: run) { req in try await self.bulkRun(req) }
        try r.route(.patch, "/checks/<pk>/history/", permission: list) { req in try await self.history(req) }
    }

    enum Owner { case agent(String), policy(Int) }

    static func intParam(_ req: PluginRequest, _ name: String) throws -> Int {
        try req.intParam(name)
    }

    func loadCheck(_ id: Int) async throws -> (CheckDefinition, CheckMeta) {
        let data = try await host.queryJSON("SELECT * FROM checks WHERE id = $1", [id])
        guard let check = try JSONDecoder().decode([CheckDefinition].self, from: data).first,
            let meta = try JSONDecoder().decode([CheckMeta].self, from: data).first
        else {
            throw PluginHTTPError(404, "Not found.")
        }
        return (check, meta)
    }

    func listAll(_ req: PluginRequest) async throws -> PluginResponse {
        let data = try await host.queryJSON("SELECT * FROM checks ORDER BY id")
        let checks = try JSONDecoder().decode([CheckDefinition].self, from: data)
        let metas = try JSONDecoder().decode([CheckMeta].self, from: data)
        var rows = Array(zip(checks, metas))
        let scope = Scope(req)
        if !scope.isUnrestricted {
            var visible: [String: Bool] = [:]
            for agentID in Set(checks.compactMap(\.agent_id)) {
                visible[agentID] = (try await agents.facts(agentID)).map(scope.allows) ?? false
            }
            rows = rows.filter { $0.0.agent_id.map { visible[$0] ?? false } ?? true }
        }
        return try .json(JSON.array(rows.map { checkJSON($0, meta: $1) }))
    }

    func getOne(_ req: PluginRequest) async throws -> PluginResponse {
        let (check, meta) = try await loadCheck(try Self.intParam(req, "pk"))
        try await ensureVisible(req, agentID: check.agent_id)
        return try .json(checkJSON(check, meta: meta))
    }

    func decodeInput(_ req: PluginRequest) throws -> (CheckInput, JSON) {
        guard let parsed = try? JSON(parsing: req.body), case .object = parsed else {
            throw PluginHTTPError(400, "invalid request body: not a JSON object")
        }
        do { return (try JSONDecoder().decode(CheckInput.self, from: req.body), parsed) } catch {
            throw PluginHTTPError(400, ResultEvaluator.describe(error))
        }
    }

    func create(_ req: PluginRequest, owner given: Owner?) async throws -> PluginResponse {
        let (input, body) = try decodeInput(req)
        var owner = given
        if owner == nil {
            if let agentID = body["agent"]?.stringValue {
                owner = .agent(agentID)
            } else if let policy = body["policy"]?.intValue {
                owner = .policy(policy)
            }
        }
        guard let owner else { throw PluginHTTPError(400, "A check needs an \"agent\" (agent_id) or a \"policy\" (id)") }
        guard let type = input.check_type else { throw PluginHTTPError(400, "\"check_type\" is required") }
        var check = CheckDefinition(checkType: type)
        let existing: [CheckDefinition]
        switch owner {
        case .agent(let agentID):
            let facts = try await visibleAgent(req, agentID)
            check.agent_id = agentID
            check.agent_pk = facts.pk
            existing = try await host.query("SELECT * FROM checks WHERE agent_id = $1", [agentID])
        case .policy(let id):
            do { _ = try await host.coreObject(kind: .policy, id: String(id)) } catch let error as PluginError
                where error.status == .notFound
            {
                throw PluginHTTPError(404, "No policy with id \(id).")
            }
            // A policy check runs on every agent the policy reaches, so the caller must see them all.
            try await host.requirePolicyInScope(id, caller: req)
            check.policy_id = id
            existing = try await host.query("SELECT * FROM checks WHERE policy_id = $1", [id])
        }
        check = input.applied(to: check)
        if let problem = CheckInput.problem(check) ?? CheckInput.duplicate(check, existing: existing) {
            throw PluginHTTPError(400, problem)
        }
        let saved: [CheckDefinition] = try await host.query(Store.insertSQL, Store.values(check) + [req.username])
        guard let new = saved.first else { throw PluginError(.internal, "insert returned nothing") }
        try? host.audit(
            action: "check.add", username: req.username, agentID: new.agent_id, object: "check:\(new.id)", detail: checkJSON(new, meta: nil)
        )
        return try .json(JSON.string("\(new.readableDescription) was added!"))
    }

    func edit(_ req: PluginRequest) async throws -> PluginResponse {
        let (before, _) = try await loadCheck(try Self.intParam(req, "pk"))
        try await ensureVisible(req, agentID: before.agent_id)
        if let policy = before.policy_id { try await host.requirePolicyInScope(policy, caller: req) }
        let (input, _) = try decodeInput(req)
        if let type = input.check_type, type != before.check_type { throw PluginHTTPError(400, "check_type cannot change") }
        let after = input.applied(to: before)
        if let problem = CheckInput.problem(after) { throw PluginHTTPError(400, problem) }
        let _: [CheckDefinition] = try await host.query(Store.updateSQL, [before.id] + Store.values(after) + [req.username])
        try? host.audit(
            action: "check.modify", username: req.username, agentID: after.agent_id, object: "check:\(after.id)",
            detail: ["before": checkJSON(before, meta: nil), "after": checkJSON(after, meta: nil)])
        return try .json(JSON.string("\(after.readableDescription) was updated"))
    }

    func remove(_ req: PluginRequest) async throws -> PluginResponse {
        let (check, _) = try await loadCheck(try Self.intParam(req, "pk"))
        try await ensureVisible(req, agentID: check.agent_id)
        if let policy = check.policy_id { try await host.requirePolicyInScope(policy, caller: req) }
        try await host.execute(
            "WITH gone AS (DELETE FROM checks WHERE id = $1 RETURNING id) DELETE FROM history WHERE check_id IN (SELECT id FROM gone)",
            [check.id])
        try? host.audit(
            action: "check.delete", username: req.username, agentID: check.agent_id, object: "check:\(check.id)",
            detail: checkJSON(check, meta: nil))
        return try .json(JSON.string("\(check.readableDescription) was deleted!"))
    }

    /// The agent's checks, policy checks included, each with its result for the agent;
    /// agent checks replaced by a policy check are listed with overridden_by_policy.
    func agentChecks(_ req: PluginRequest) async throws -> PluginResponse {
        let agentID = req.params["agent_id"] ?? ""
        let agent = try await visibleAgent(req, agentID)
        let data = try await host.queryJSON(
            "SELECT * FROM checks WHERE agent_id = $1 OR policy_id = ANY($2::bigint[])", [agentID, Self.pgArray(agent.policyIDs)])
        let checks = try JSONDecoder().decode([CheckDefinition].self, from: data)
        let metas = Dictionary(
            zip(checks.map(\.id), try JSONDecoder().decode([CheckMeta].self, from: data)), uniquingKeysWith: { a, _ in a })
        let results: [ResultRow] = try await host.query("SELECT * FROM results WHERE agent_id = $1", [agentID])
        let byCheck = Dictionary(results.map { ($0.check_id, $0) }, uniquingKeysWith: { a, _ in a })
        let merged = PolicyMerge.merge(
            agentChecks: checks.filter { $0.policy_id == nil }, policies: agent.policies,
            policyChecks: checks.filter { $0.policy_id != nil }, plat: agent.plat)
        let shown = merged.checks + checks.filter { merged.overridden.contains($0.id) }
        return try .json(
            JSON.array(
                shown.map {
                    checkJSON(
                        $0, meta: metas[$0.id], result: byCheck[$0.id], overridden: merged.overridden.contains($0.id), includeResult: true)
                }))
    }

    func policyChecks(_ req: PluginRequest) async throws -> PluginResponse {
        let id = try Self.intParam(req, "pk")
        let data = try await host.queryJSON("SELECT * FROM checks WHERE policy_id = $1 ORDER BY id", [id])
        let checks = try JSONDecoder().decode([CheckDefinition].self, from: data)
        let metas = try JSONDecoder().decode([CheckMeta].self, from: data)
        return try .json(JSON.array(zip(checks, metas).map { checkJSON($0, meta: $1) }))
    }

    /// A policy check's result on every agent that ran it.
    func policyCheckStatus(_ req: PluginRequest) async throws -> PluginResponse {
        let id = try Self.intParam(req, "pk")
        var results: [ResultRow] = try await host.query("SELECT * FROM results WHERE check_id = $1 ORDER BY agent_id", [id])
        // Other clients' agents are absent, as in every list.
        let scope = Scope(req)
        if !scope.isUnrestricted {
            var shown: [ResultRow] = []
            for result in results {
                if let agent = try await agents.facts(result.agent_id), scope.allows(agent) { shown.append(result) }
            }
            results = shown
        }
        return try .json(JSON.array(results.map { resultJSON($0) }))
    }

    struct ResetRow: Decodable, Sendable {
        let id: Int; let agent_id: String; let check_id: Int; let seq: Int; let fail_count: Int; let alerted: Bool
    }

    /// Resets one result to passing; an open alert is resolved (check.resolved).
    func resetResult(_ row: ResetRow, username: String) async throws -> Bool {
        var row = row
        for _ in 0..<5 {
            var counter = FailureCounter(failCount: row.fail_count, alerted: row.alerted)
            let transition = counter.reset()
            var event: (name: String, json: JSON)?
            if transition != .none, let agent = try await agents.facts(row.agent_id) {
                let (check, _) = try await loadCheck(row.check_id)
                event = eventPayload(transition, check: check, agent: agent, evaluation: nil, failCount: 0)
            }
            let written: [WriteOutcome] = try await host.query(Store.resetSQL, [row.id, row.seq, event?.name, event?.json])
            if let outcome = written.first {
                if let outboxID = outcome.outbox_id { await deliver([outboxID]) }
                return true
            }
            guard
                let fresh: ResetRow = try await host.query(
                    "SELECT id, agent_id, check_id, seq, fail_count, alerted FROM results WHERE id = $1", [row.id], as: ResetRow.self
                ).first
            else { return false }
            row = fresh
        }
        return false
    }

    func reset(_ req: PluginRequest) async throws -> PluginResponse {
        let id = try Self.intParam(req, "pk")
        guard
            let row: ResetRow = try await host.query(
                "SELECT id, agent_id, check_id, seq, fail_count, alerted FROM results WHERE id = $1", [id], as: ResetRow.self
            ).first
        else {
            throw PluginHTTPError(404, "Not found.")
        }
        try await ensureVisible(req, agentID: row.agent_id)
        _ = try await resetResult(row, username: req.username)
        try? host.audit(action: "check.reset", username: req.username, agentID: row.agent_id, object: "check:\(row.check_id)")
        return try .json(JSON.string("The check status was reset"))
    }

    func resetAll(_ req: PluginRequest) async throws -> PluginResponse {
        let agentID = req.params["agent_id"] ?? ""
        _ = try await visibleAgent(req, agentID)
        let rows: [ResetRow] = try await host.query(
            "SELECT id, agent_id, check_id, seq, fail_count, alerted FROM results WHERE agent_id = $1", [agentID])
        for row in rows { _ = try await resetResult(row, username: req.username) }
        try? host.audit(action: "check.reset_all", username: req.username, agentID: agentID, object: "agent:\(agentID)")
        return try .json(JSON.string("All checks status were reset"))
    }

    /// Tactical RMM's run-now: a NATS `runchecks` request (the agent answers "ok" or "busy").
    func runNow(_ req: PluginRequest) async throws -> PluginResponse {
        let agentID = req.params["agent_id"] ?? ""
        let agent = try await visibleAgent(req, agentID)
        let reply: JSON
        do {
            reply = try await host.agentRequest(agentID: agentID, payload: ["func": "runchecks"] as JSON, timeout: .seconds(15))
        } catch let error as PluginError where error.status == .unsupported {
            throw PluginHTTPError(503, "This server cannot reach agents yet (no NATS support in the host)")
        } catch let error as PluginError where [.timeout, .unavailable, .notFound].contains(error.status) {
            throw PluginHTTPError(400, "Unable to contact the agent")
        }
        try? host.audit(action: "check.run", username: req.username, agentID: agentID, object: "agent:\(agentID)")
        switch reply.stringValue {
        case "busy": throw PluginHTTPError(400, "Checks are already running on \(agent.hostname)")
        case "ok": return try .json(JSON.string("Checks will now be run on \(agent.hostname)"))
        default: throw PluginHTTPError(400, "Unable to contact the agent")
        }
    }

    /// `checks/<client|site>/<pk>/csbulkrun/`: runchecks to every agent there, without waiting.
    func bulkRun(_ req: PluginRequest) async throws -> PluginResponse {
        let target = req.params["target"] ?? ""
        let id = try Self.intParam(req, "pk")
        guard target == "client" || target == "site" else { throw PluginHTTPError(400, "target must be client or site") }
        let object: JSON, agentIDs: JSON
        do {
            object = try await host.coreObject(kind: target == "client" ? .client : .site, id: String(id))
            agentIDs = try await host.coreObject(kind: .agents, id: "\(target):\(id)")
        } catch let error as PluginError where error.status == .notFound {
            throw PluginHTTPError(404, "No \(target) with id \(id).")
        }
        let scope = Scope(req)
        let visible =
            target == "client"
            ? scope.allows(clientID: id, siteID: nil)
            : scope.allows(clientID: object["client"]?.intValue ?? 0, siteID: id)
        guard visible else { throw PluginHTTPError(404, "No \(target) with id \(id).") }
        let ids = (agentIDs.arrayValue ?? []).compactMap(\.stringValue)
        guard !ids.isEmpty else { throw PluginHTTPError(400, "No agents matched query") }
        var sent = 0
        for agentID in ids {
            do {
                try host.agentSend(agentID: agentID, payload: ["func": "runchecks", "timeout": 15] as JSON)
                sent += 1
            } catch let error as PluginError where error.status == .unsupported {
                throw PluginHTTPError(503, "This server cannot reach agents yet (no NATS support in the host)")
            } catch let error as PluginError where error.status == .unavailable {
                throw PluginHTTPError(503, "The agent bus (NATS) is down; no agent was asked to run its checks")
            } catch {
                host.log(.notice, "bulk runchecks to \(agentID): \(error)")
            }
        }
        try? host.audit(
            action: "check.bulk_run", username: req.username, object: "\(target):\(id)", detail: ["agents": .number(Double(sent))])
        return try .json(JSON.string("Checks will now be run on all agents in \(target): \(object["name"]?.stringValue ?? String(id))"))
    }

    /// `PATCH /checks/<pk>/history/` {"timeFilter": days}: a result's chart points, newest
    /// first; 0 or absent means all.
    func history(_ req: PluginRequest) async throws -> PluginResponse {
        let id = try Self.intParam(req, "pk")
        var days = 0
        if !req.body.isEmpty {
            guard let parsed = try? JSON(parsing: req.body), case .object(let body) = parsed else {
                throw PluginHTTPError(400, "invalid request body")
            }
            if let value = body["timeFilter"], !value.isNull {
                // Bounded: make_interval takes a 32-bit count, and ten years is all history holds.
                guard let d = value.intValue else { throw BoundedInt.refusal("timeFilter", 0...3650) }
                days = try BoundedInt.check(d, "timeFilter", in: 0...3650)
            }
        }
        guard
            let result: ResetRow = try await host.query(
                "SELECT id, agent_id, check_id, seq, fail_count, alerted FROM results WHERE id = $1", [id], as: ResetRow.self
            ).first
        else {
            throw PluginHTTPError(404, "Not found.")
        }
        try await ensureVisible(req, agentID: result.agent_id)
        struct Point: Decodable { let x: String; let y: Int?; let results: JSON? }
        let points: [Point] = try await host.query(
            """
            SELECT to_char(x AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS x, y, results FROM history
            WHERE check_id = $1 AND agent_id = $2 AND ($3 = 0 OR x > now() - make_interval(days => $3))
            ORDER BY x DESC
            """, [result.check_id, result.agent_id, days])
        return try .json(
            JSON.array(points.map { ["x": .string($0.x), "y": $0.y.map { .number(Double($0)) } ?? .null, "results": $0.results ?? .null] }))
    }
}
