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
