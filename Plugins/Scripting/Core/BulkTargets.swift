import Foundation

/// Who a bulk action reaches (docs/compatibility.md §2.7): one client, one site, a list of agents
/// or all, narrowed by monitoring type and OS. Field names are Tactical RMM's bulk request's.
public struct BulkTarget: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable { case client, site, agents, all }
    public var target: Kind
    public var client: Int?
    public var site: Int?
    public var agents: [String]?
    /// "all", "servers" or "workstations" (also "server"/"workstation").
    public var monType: String?
    /// "all", "windows", "linux" or "darwin".
    public var osType: String?

    public init(target: Kind, client: Int? = nil, site: Int? = nil, agents: [String]? = nil, monType: String? = nil, osType: String? = nil)
    {
        self.target = target
        self.client = client
        self.site = site
        self.agents = agents
        self.monType = monType
        self.osType = osType
    }

    /// One agent as the host's "agent_targets" lists it.
    public struct Candidate: Sendable, Equatable, Codable {
        public var agentID: String
        public var hostname: String
        public var plat: String
        public var monitoringType: String
        public var clientID: Int
        public var siteID: Int
        public var status: String

        enum CodingKeys: String, CodingKey {
            case hostname, plat, status
            case agentID = "agent_id", monitoringType = "monitoring_type", clientID = "client_id", siteID = "site_id"
        }

        public init(
            agentID: String, hostname: String = "", plat: String = "windows", monitoringType: String = "server", clientID: Int = 1,
            siteID: Int = 1, status: String = "online"
        ) {
            self.agentID = agentID
            self.hostname = hostname
            self.plat = plat
            self.monitoringType = monitoringType
            self.clientID = clientID
            self.siteID = siteID
            self.status = status
        }

        public var isOnline: Bool { status == "online" }
    }

    /// The host query that lists the candidates ("all", "client:<id>", "site:<id>").
    public func hostQuery() throws(ScriptingError) -> String {
        switch target {
        case .client:
            guard let client else { throw ScriptingError("Choose a client.") }
            return "client:\(client)"
        case .site:
            guard let site else { throw ScriptingError("Choose a site.") }
            return "site:\(site)"
        case .agents:
            guard let agents, !agents.isEmpty else { throw ScriptingError("Choose at least one agent.") }
            return "all"
        case .all:
            return "all"
        }
    }

    public func validate() throws(ScriptingError) {
        _ = try hostQuery()
        guard [nil, "all", "servers", "workstations", "server", "workstation"].contains(monType) else {
            throw ScriptingError("monType must be all, servers or workstations.")
        }
        guard [nil, "all", "windows", "linux", "darwin"].contains(osType) else {
            throw ScriptingError("osType must be all, windows, linux or darwin.")
        }
    }

    /// The candidates this target selects, in the host's order.
    public func select(_ candidates: [Candidate]) -> [Candidate] {
        let wanted = agents.map(Set.init)
        let monitoring: String? =
            switch monType {
            case "servers", "server": "server"
            case "workstations", "workstation": "workstation"
            default: nil
            }
        let os: String? = (osType == nil || osType == "all") ? nil : osType
        return candidates.filter { c in
            if target == .agents, !(wanted?.contains(c.agentID) ?? false) { return false }
            if target == .client, c.clientID != client { return false }
            if target == .site, c.siteID != site { return false }
            if let monitoring, c.monitoringType != monitoring { return false }
            if let os, c.plat != os { return false }
            return true
        }
    }
}
