import Foundation
import PatchingCore
import PluginKit

/// `/automation/patchpolicy/`: patch policies on automation policies, and the reset of agents'
/// own ones (can_manage_automation_policies, as in Tactical RMM).
extension Patching {
    static let policyPermission = "can_manage_automation_policies"

    func registerPolicyRoutes(_ r: Registrar) throws {
        try r.route(.post, "/automation/patchpolicy/", permission: Self.policyPermission) { req in try await self.createPolicy(req) }
        try r.route(.post, "/automation/patchpolicy/reset/", permission: Self.policyPermission) { req in try await self.reset(req) }
        try r.route(.get, "/automation/patchpolicy/<pk>/", permission: "can_list_automation_policies") { req in
            try await self.getPolicy(req)
        }
        try r.route(.put, "/automation/patchpolicy/<pk>/", permission: Self.policyPermission) { req in try await self.editPolicy(req) }
        try r.route(.delete, "/automation/patchpolicy/<pk>/", permission: Self.policyPermission) { req in
            try await self.deletePolicy(req)
        }
    }

    /// The fields a validated patch sets, as SQL: `col = coalesce(($N::jsonb->>'col')::type, col)`.
    static let patchAssignments = """
        critical = coalesce($2::jsonb->>'critical', critical), important = coalesce($2::jsonb->>'important', important),
        moderate = coalesce($2::jsonb->>'moderate', moderate), low = coalesce($2::jsonb->>'low', low),
        other = coalesce($2::jsonb->>'other', other),
        run_time_hour = coalesce(($2::jsonb->>'run_time_hour')::int, run_time_hour),
        run_time_frequency = coalesce($2::jsonb->>'run_time_frequency', run_time_frequency),
        run_time_days = coalesce($2::jsonb->'run_time_days', run_time_days),
        run_time_day = coalesce(($2::jsonb->>'run_time_day')::int, run_time_day),
        reboot_after_install = coalesce($2::jsonb->>'reboot_after_install', reboot_after_install),
        reprocess_failed_inherit = coalesce(($2::jsonb->>'reprocess_failed_inherit')::boolean, reprocess_failed_inherit),
        reprocess_failed = coalesce(($2::jsonb->>'reprocess_failed')::boolean, reprocess_failed),
        reprocess_failed_times = coalesce(($2::jsonb->>'reprocess_failed_times')::int, reprocess_failed_times),
        email_if_fail = coalesce(($2::jsonb->>'email_if_fail')::boolean, email_if_fail),
        modified_by = $3, modified_time = now()
        """

    static func patchText(_ patch: PolicyPatch) throws -> String {
        String(decoding: try JSONEncoder().encode(JSON.object(patch.values)), as: UTF8.self)
    }

    /// `POST /automation/patchpolicy/`: {"policy": pk, ...fields}; one patch policy per policy.
    func createPolicy(_ req: PluginRequest) async throws -> PluginResponse {
        let body = try req.jsonValue()
        guard let policyValue = body["policy"], !policyValue.isNull else {
            throw PluginHTTPError(400, "policy is required: the id of the automation policy.")
        }
        guard let policyID = policyValue.intValue, policyID >= 1 else {
            throw PluginHTTPError(400, "policy must be a whole number from 1 to \(Int.max).")
        }
        let patch = try checked { () throws(PatchInputError) in try PolicyPatch.parse(body) }
        do { _ = try await host.coreObject(kind: .policy, id: String(policyID)) } catch let error as PluginError
            where error.status == .notFound
        {
            throw PluginHTTPError(400, "policy: no automation policy with id \(policyID).")
        }
        try await host.requirePolicyInScope(policyID, caller: req)
        let rows: [CountRow] = try await host.query(
            """
            WITH made AS (
                INSERT INTO policies (policy_id, critical, important, moderate, low, other, run_time_hour, run_time_frequency,
                    run_time_days, run_time_day, reboot_after_install, reprocess_failed_inherit, reprocess_failed,
                    reprocess_failed_times, email_if_fail, created_by, modified_by)
                VALUES ($1, coalesce($2::jsonb->>'critical', 'inherit'), coalesce($2::jsonb->>'important', 'inherit'),
                    coalesce($2::jsonb->>'moderate', 'inherit'), coalesce($2::jsonb->>'low', 'inherit'),
                    coalesce($2::jsonb->>'other', 'inherit'), coalesce(($2::jsonb->>'run_time_hour')::int, 3),
                    coalesce($2::jsonb->>'run_time_frequency', 'inherit'), coalesce($2::jsonb->'run_time_days', '[]'),
                    coalesce(($2::jsonb->>'run_time_day')::int, 1), coalesce($2::jsonb->>'reboot_after_install', 'inherit'),
                    coalesce(($2::jsonb->>'reprocess_failed_inherit')::boolean, true),
                    coalesce(($2::jsonb->>'reprocess_failed')::boolean, false),
                    coalesce(($2::jsonb->>'reprocess_failed_times')::int, 5), coalesce(($2::jsonb->>'email_if_fail')::boolean, false),
                    $3, $3)
                ON CONFLICT (policy_id) DO NOTHING RETURNING id
            ) SELECT count(*)::int AS n FROM made
            """, [policyID, try Self.patchText(patch), req.username])
        guard rows.first?.n == 1 else {
            throw PluginHTTPError(400, "policy: automation policy \(policyID) already has a patch policy; change it with PUT.")
        }
        try? host.audit(action: "winupdate.policy_create", username: req.username, object: "policy:\(policyID)")
        return try .json(JSON.string("ok"))
    }

    struct Owner: Decodable { let agent_id: String?; let policy_id: Int? }

    /// The patch policy's owner, checked against the caller's scope (404 / 403).
    func ownedPolicy(_ req: PluginRequest, _ pk: Int) async throws -> Owner {
        guard let owner = try await host.query("SELECT agent_id, policy_id FROM policies WHERE id = $1", [pk], as: Owner.self).first
        else {
            throw PluginHTTPError(404, "No WinUpdatePolicy matches the given query.")
        }
        if let agentID = owner.agent_id {
            _ = try await visibleAgent(req, agentID)
        } else if let policyID = owner.policy_id, req.method != .get {
            try await host.requirePolicyInScope(policyID, caller: req)
        }
        return owner
    }

    /// `GET /automation/patchpolicy/<pk>/` (Garrison): one WinUpdatePolicy.
    func getPolicy(_ req: PluginRequest) async throws -> PluginResponse {
        let pk = try req.intParam("pk")
        _ = try await ownedPolicy(req, pk)
        let rows: [PolicyRow] = try await host.query("SELECT \(Self.policyJSON) FROM policies WHERE id = $1", [pk])
        guard let row = rows.first else { throw PluginHTTPError(404, "No WinUpdatePolicy matches the given query.") }
        return PluginResponse(status: 200, contentType: "application/json", body: Data(row.j.utf8))
    }

    /// `PUT /automation/patchpolicy/<pk>/`: partial fields.
    func editPolicy(_ req: PluginRequest) async throws -> PluginResponse {
        let pk = try req.intParam("pk")
        let patch = try checked { () throws(PatchInputError) in try PolicyPatch.parse(try req.jsonValueForPatch()) }
        let owner = try await ownedPolicy(req, pk)
        try await host.execute("UPDATE policies SET \(Self.patchAssignments) WHERE id = $1", [pk, try Self.patchText(patch), req.username])
        try? host.audit(
            action: "winupdate.policy_edit", username: req.username, agentID: owner.agent_id, object: "winupdatepolicy:\(pk)",
            detail: .object(patch.values))
        return try .json(JSON.string("ok"))
    }

    func deletePolicy(_ req: PluginRequest) async throws -> PluginResponse {
        let pk = try req.intParam("pk")
        let owner = try await ownedPolicy(req, pk)
        try await host.execute("DELETE FROM policies WHERE id = $1", [pk])
        try? host.audit(action: "winupdate.policy_delete", username: req.username, agentID: owner.agent_id, object: "winupdatepolicy:\(pk)")
        return try .json(JSON.string("ok"))
    }

    /// `POST /automation/patchpolicy/reset/`: {"client": pk} | {"site": pk} | {} (every agent
    /// the caller sees): the agents' own policies back to inherit (hour and days untouched).
    func reset(_ req: PluginRequest) async throws -> PluginResponse {
        let body = try req.jsonValue()
        guard case .object = body else { throw PluginHTTPError(400, "The body must be a JSON object.") }
        var selection = "all"
        for key in ["client", "site"] {
            guard let value = body[key], !value.isNull else { continue }
            guard let id = value.intValue, id >= 1 else { throw PluginHTTPError(400, "\(key) must be a whole number from 1 to \(Int.max).") }
            selection = "\(key):\(id)"
            break
        }
        struct Target: Decodable { let agent_id: String; let client_id: Int; let site_id: Int }
        let targets = try JSONDecoder().decode([Target].self, from: try await host.coreData(kindNamed: "agent_targets", id: selection))
        let scope = req.roleScope
        let visible = targets.filter { scope.allows(clientID: $0.client_id, siteID: $0.site_id) }
        // A client or site outside the scope is missing, as if it did not exist.
        if selection != "all", visible.isEmpty, !scope.isUnrestricted {
            throw PluginHTTPError(404, "No \(selection.hasPrefix("client") ? "Client" : "Site") matches the given query.")
        }
        try await host.execute(
            """
            UPDATE policies SET critical = 'inherit', important = 'inherit', moderate = 'inherit', low = 'inherit', other = 'inherit',
                run_time_frequency = 'inherit', reboot_after_install = 'inherit', reprocess_failed_inherit = true,
                modified_by = $2, modified_time = now()
            WHERE agent_id = ANY($1::text[])
            """, [Self.pgTextArray(visible.map(\.agent_id)), req.username])
        try? host.audit(
            action: "winupdate.policy_reset", username: req.username, object: selection, detail: ["agents": .number(Double(visible.count))])
        return try .json(JSON.string("The patch policy on the affected agents has been reset."))
    }
}

extension PluginRequest {
    /// The body for a partial update: an empty body is an empty patch.
    func jsonValueForPatch() throws(PatchInputError) -> JSON {
        if body.isEmpty { return .object([:]) }
        guard let value = try? JSON(parsing: body) else { throw PatchInputError("invalid request body: not JSON") }
        return value
    }
}
