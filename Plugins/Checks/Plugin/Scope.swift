import PluginKit

/// The caller's role scope (principal "can_view_clients" / "can_view_sites"; both empty =
/// everything), applied as the host applies it: what lies outside answers 404, as if it did
/// not exist.
struct Scope: Sendable {
    let clients: Set<Int>
    let sites: Set<Int>

    init(_ req: PluginRequest) {
        func ids(_ key: String) -> Set<Int> {
            guard case .array(let items)? = req.principal[key] else { return [] }
            return Set(items.compactMap(\.intValue))
        }
        clients = ids("can_view_clients")
        sites = ids("can_view_sites")
    }

    var isUnrestricted: Bool { clients.isEmpty && sites.isEmpty }

    func allows(clientID: Int, siteID: Int?) -> Bool {
        if isUnrestricted || clients.contains(clientID) { return true }
        if let siteID { return sites.contains(siteID) }
        return false
    }

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
