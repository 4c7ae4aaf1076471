import PluginKit

/// The role scope of PluginKit, with the checks plugin's agent facts.
typealias Scope = RoleScope

extension RoleScope {
    init(_ req: PluginRequest) { self = req.roleScope }

    func allows(_ agent: AgentFacts) -> Bool { allows(clientID: agent.clientID, siteID: agent.siteID) }
}

extension Checks {
    /// The agent's facts if the caller's role may see it; 404 otherwise.
    func visibleAgent(_ req: PluginRequest, _ agentID: String) async throws -> AgentFacts {
        guard let agent = try await agents.facts(agentID), Scope(req).allows(agent) else {
            throw PluginHTTPError(404, "No agent with id \(agentID).")
        }
        return agent
    }

    /// 404 unless the caller may see the check's agent (policy checks are not scoped).
    func ensureVisible(_ req: PluginRequest, agentID: String?) async throws {
        guard let agentID, !Scope(req).isUnrestricted else { return }
        _ = try await visibleAgent(req, agentID)
    }
}
