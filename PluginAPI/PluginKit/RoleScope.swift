/// The caller's role scope: the principal's "can_view_clients" and "can_view_sites" (both
/// empty = everything). Plugins apply it as the host does: what lies outside answers 404, as
/// if it did not exist, and a run over many agents leaves out the ones outside.
public struct RoleScope: Sendable, Equatable {
    public let clients: Set<Int>
    public let sites: Set<Int>

    public init(clients: Set<Int> = [], sites: Set<Int> = []) {
        self.clients = clients
        self.sites = sites
    }

    public var isUnrestricted: Bool { clients.isEmpty && sites.isEmpty }

    /// An agent or site of `clientID` (and `siteID`, when there is one).
    public func allows(clientID: Int, siteID: Int?) -> Bool {
        if isUnrestricted || clients.contains(clientID) { return true }
        if let siteID { return sites.contains(siteID) }
        return false
    }
}

extension PluginRequest {
    /// The principal's role scope (unrestricted for agents and superusers, whose principals
    /// carry no lists).
    public var roleScope: RoleScope {
        func ids(_ key: String) -> Set<Int> { Set(principal[key]?.arrayValue?.compactMap(\.intValue) ?? []) }
        return RoleScope(clients: ids("can_view_clients"), sites: ids("can_view_sites"))
    }
}

extension PluginHost {
    /// Refuses (403) a scoped caller's change to anything that runs on the agents of policy
    /// `policyID` (a check, a task, a patch rule) unless every client, site and agent the
    /// policy is assigned to lies inside the caller's scope: a policy is a way to reach agents
    /// indirectly, and it must not be a way around the scope. Unknown policy: 404.
    /// Unscoped callers (and superusers, whose principals carry no lists) pass at once.
    public func requirePolicyInScope(_ policyID: Int, caller req: PluginRequest) async throws {
        let scope = req.roleScope
        if scope.isUnrestricted { return }
        let reach: JSON
        do { reach = try await coreObject(kindNamed: "policy_reach", id: String(policyID)) } catch let error as PluginError
            where error.status == .notFound
        {
            throw PluginHTTPError(404, "No policy with id \(policyID).")
        }
        if let place = scope.firstOutside(reach) {
            throw PluginHTTPError(
                403,
                "Policy \(policyID) reaches \(place), which is outside your scope; only a role that sees everything it reaches may change what runs there."
            )
        }
    }
}

extension RoleScope {
    /// The first place of a "policy_reach" answer outside this scope, described; nil if none.
    func firstOutside(_ reach: JSON) -> String? {
        if isUnrestricted { return nil }
        if reach["global"]?.boolValue == true { return "every agent (it is a default policy in the core settings)" }
        for client in reach["clients"]?.arrayValue?.compactMap(\.intValue) ?? [] where !clients.contains(client) {
            return "client \(client)"
        }
        for site in reach["sites"]?.arrayValue ?? [] {
            guard let id = site["id"]?.intValue, let client = site["client"]?.intValue else { continue }
            if !allows(clientID: client, siteID: id) { return "site \(id)" }
        }
        for agent in reach["agents"]?.arrayValue ?? [] {
            guard let client = agent["client"]?.intValue else { continue }
            if !allows(clientID: client, siteID: agent["site"]?.intValue) { return "agent \(agent["agent_id"]?.stringValue ?? "?")" }
        }
        return nil
    }
}

extension PluginRequest {
    /// Refuses (403) a caller whose role is limited to some clients or sites: for objects every
    /// client shares (the script library, snippets), a change reaches agents the caller cannot
    /// see. `what` names the object for the message ("Scripts").
    public func requireUnrestrictedScope(_ what: String) throws {
        if !roleScope.isUnrestricted {
            throw PluginHTTPError(403, "\(what) are shared by every client; a role limited to some clients or sites may not change them.")
        }
    }
}
