/// Who is calling, once authentication has succeeded.
public enum Principal: Sendable {
    case user(OperatorIdentity)
    case agent(AgentIdentity)

    public var user: OperatorIdentity? { if case .user(let u) = self { return u }; return nil }
    public var agent: AgentIdentity? { if case .agent(let a) = self { return a }; return nil }
    public var name: String {
        switch self {
        case .user(let u): return u.username
        case .agent(let a): return a.agentID
        }
    }
}

/// An operator as seen by authorization: identity, permissions and client/site scope.
public struct OperatorIdentity: Sendable, Equatable {
    public let id: Int
    public let username: String
    public let isSuperuser: Bool
    public let permissions: Set<String>
    public let scope: ObjectScope
    /// The login token's row id, when signed in with a token (not an API key).
    public let tokenID: Int?
    /// Non-nil for a limited token (e.g. "2fa-enroll"): only routes that list this scope answer.
    public let limitedScope: String?
    public let viaAPIKey: Bool
    /// The role the operator holds, if any: nobody but a superuser edits the role they hold.
    public let roleID: Int?
    /// For an installer token: the site it was made for, the only one it enrolls agents into.
    public let installerSite: Int?

    public init(
        id: Int, username: String, isSuperuser: Bool, permissions: Set<String>, scope: ObjectScope, tokenID: Int?, limitedScope: String?,
        viaAPIKey: Bool, roleID: Int? = nil, installerSite: Int? = nil
    ) {
        self.id = id
        self.username = username
        self.isSuperuser = isSuperuser
        self.permissions = permissions
        self.scope = scope
        self.tokenID = tokenID
        self.limitedScope = limitedScope
        self.viaAPIKey = viaAPIKey
        self.roleID = roleID
        self.installerSite = installerSite
    }

    public func has(_ permission: String) -> Bool { isSuperuser || permissions.contains(permission) }
}

/// Which clients and sites a role may see. Both empty means everything, as in Tactical RMM.
public struct ObjectScope: Sendable, Equatable {
    public let clients: Set<Int>
    public let sites: Set<Int>

    public static let everything = ObjectScope(clients: [], sites: [])

    public init(clients: Set<Int>, sites: Set<Int>) {
        self.clients = clients
        self.sites = sites
    }

    public var isUnrestricted: Bool { clients.isEmpty && sites.isEmpty }

    /// SQL condition over a site id column and its client id column, with array parameters.
    /// Returns nil when unrestricted so callers add no condition at all.
    func sqlCondition(siteColumn: String, clientColumn: String, nextParameter: Int) -> (sql: String, params: [String?])? {
        if isUnrestricted { return nil }
        let clients = "{" + self.clients.map(String.init).joined(separator: ",") + "}"
        let sites = "{" + self.sites.map(String.init).joined(separator: ",") + "}"
        return (
            "(\(clientColumn) = ANY($\(nextParameter)::bigint[]) OR \(siteColumn) = ANY($\(nextParameter + 1)::bigint[]))",
            [clients, sites]
        )
    }

    public func allows(clientID: Int, siteID: Int?) -> Bool {
        if isUnrestricted || clients.contains(clientID) { return true }
        if let siteID { return sites.contains(siteID) }
        return false
    }
}

/// An enrolled agent, authenticated by its own token.
public struct AgentIdentity: Sendable, Equatable {
    public let id: Int
    public let agentID: String
}

extension OperatorIdentity {
    /// Refuses (403) a role limited to some clients or sites for objects every client shares
    /// (global settings, the key store every script reads, new clients, the plugins): a change
    /// there reaches clients the caller cannot see.
    func requireUnrestricted(_ what: String) throws {
        if !isSuperuser, !scope.isUnrestricted {
            throw APIError.forbidden("\(what) belong to every client; a role limited to some clients or sites may not change them.")
        }
    }
}
