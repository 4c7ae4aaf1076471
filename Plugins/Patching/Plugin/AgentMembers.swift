import Foundation
import PatchingCore
import PluginKit

/// The members this plugin adds to the operator's agent object (register_agent_member):
/// `winupdatepolicy` (the agent's own patch policy, also written by PUT /agents/<agent_id>/),
/// `effective_patch_policy` and `patches_last_installed` in the detail, `has_patches_pending`
/// in every row of the agent list. Reads are one query for all the agents asked about.
extension Patching {
    func registerAgentMembers(_ r: Registrar) throws {
        try r.agentMember("winupdatepolicy", placement: .detail, read: { ids, _ in try await self.ownPolicies(ids) }) {
            agentID, value, store, req in
            try await self.writeOwnPolicy(agentID, value, store: store, req)
        }
        try r.agentMember("effective_patch_policy", placement: .detail) { ids, _ in try await self.effectivePolicies(ids) }
        try r.agentMember("patches_last_installed", placement: .detail) { ids, _ in try await self.lastInstalled(ids) }
        try r.agentMember("has_patches_pending", placement: .list) { ids, _ in try await self.patchesPending(ids) }
    }

    /// Tactical RMM's `winupdatepolicy`: an array holding the agent's own policy, made with
    /// the defaults for agents that have none yet.
    func ownPolicies(_ ids: [String]) async throws -> [String: JSON] {
        let rows: [PolicyRow] = try await host.query(
            "SELECT \(Self.policyJSON) FROM policies WHERE agent_id = ANY($1::text[])", [Self.pgTextArray(ids)])
        var out: [String: JSON] = [:]
        for row in rows { if let id = row.agent_id { out[id] = .array([try JSON(parsing: Data(row.j.utf8))]) } }
        for id in ids where out[id] == nil {
            guard let agent = try await loadAgent(id) else { continue }
            out[id] = .array([try JSON(parsing: Data(try await ownPolicyText(agent).utf8))])
        }
        return out
    }

    /// PUT /agents/<agent_id>/ with `"winupdatepolicy": [{...}]`: element 0's fields,
    /// each checked, onto the agent's own policy (Tactical RMM ignores further elements).
    func writeOwnPolicy(_ agentID: String, _ value: JSON, store: Bool, _ req: PluginRequest) async throws {
        guard let list = value.arrayValue, let first = list.first else {
            throw PluginHTTPError(400, "winupdatepolicy must be a list holding one patch policy object.")
        }
        let patch = try checked { () throws(PatchInputError) in try PolicyPatch.parse(first, field: "winupdatepolicy.") }
        guard store else { return }
        guard let agent = try await loadAgent(agentID) else { throw PluginHTTPError(404, "No Agent matches the given query.") }
        _ = try await ownPolicyText(agent)
        try await host.execute(
            "UPDATE policies SET \(Self.patchAssignments) WHERE agent_id = $1", [agentID, try Self.patchText(patch), req.username])
        try? host.audit(
            action: "winupdate.policy_edit", username: req.username, agentID: agentID, object: "winupdatepolicy:agent",
            detail: .object(patch.values))
    }

    /// The effective policy of each agent (one at a time: the detail asks about one agent).
    func effectivePolicies(_ ids: [String]) async throws -> [String: JSON] {
        var out: [String: JSON] = [:]
        for id in ids {
            guard let agent = try await loadAgent(id) else { continue }
            out[id] = try JSON(parsing: try JSONEncoder().encode(try await effectivePolicy(agent)))
        }
        return out
    }

    func lastInstalled(_ ids: [String]) async throws -> [String: JSON] {
        struct Row: Decodable { let agent_id: String; let last: String? }
        let rows: [Row] = try await host.query(
            """
            SELECT agent_id, to_char(patches_last_installed AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS last
            FROM agent_state WHERE agent_id = ANY($1::text[])
            """, [Self.pgTextArray(ids)])
        return Dictionary(rows.map { ($0.agent_id, $0.last.map(JSON.string) ?? .null) }, uniquingKeysWith: { a, _ in a })
    }

    /// An approved, not installed update exists (the partial index answers it).
    func patchesPending(_ ids: [String]) async throws -> [String: JSON] {
        struct Row: Decodable { let agent_id: String }
        let rows: [Row] = try await host.query(
            """
            SELECT DISTINCT agent_id FROM updates
            WHERE agent_id = ANY($1::text[]) AND action = 'approve' AND NOT installed
            """, [Self.pgTextArray(ids)])
        var out = Dictionary(uniqueKeysWithValues: ids.map { ($0, JSON.bool(false)) })
        for row in rows { out[row.agent_id] = .bool(true) }
        return out
    }
}
