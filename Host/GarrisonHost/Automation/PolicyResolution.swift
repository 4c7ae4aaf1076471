/// Which policies apply to one agent, in precedence order, as Tactical RMM's
/// `Agent.get_agent_policies` decides (docs/compatibility.md §2.3): the agent's own policy, then
/// its site's, its client's and the global default, each in the slot matching the agent's
/// monitoring type. A policy is skipped when it excludes the agent, its site or its client,
/// or is inactive; `block_policy_inheritance` on the agent stops site, client and default,
/// on the site stops client and default, on the client stops the default. Pure.
public enum PolicyResolution {
    public enum Source: String, Sendable { case agent, site, client, `default` }

    /// Where the agent sits and what each level assigns to it.
    public struct Chain: Sendable, Equatable {
        public var agentPK: Int
        public var siteID: Int
        public var clientID: Int
        public var agentBlocks = false
        public var siteBlocks = false
        public var clientBlocks = false
        public var agentPolicy: Int?
        public var sitePolicy: Int?
        public var clientPolicy: Int?
        public var defaultPolicy: Int?

        public init(agentPK: Int, siteID: Int, clientID: Int) {
            self.agentPK = agentPK
            self.siteID = siteID
            self.clientID = clientID
        }
    }

    public struct Policy: Sendable, Equatable {
        public var id: Int
        public var active = true
        public var enforced = false
        public var excludedClients: Set<Int> = []
        public var excludedSites: Set<Int> = []
        public var excludedAgents: Set<Int> = []

        public init(id: Int) { self.id = id }

        func excludes(_ chain: Chain) -> Bool {
            excludedAgents.contains(chain.agentPK) || excludedSites.contains(chain.siteID) || excludedClients.contains(chain.clientID)
        }
    }

    public struct Applied: Sendable, Equatable {
        public let id: Int
        public let enforced: Bool
        public let source: Source
    }

    /// The applying policies, highest precedence first; a policy reached twice counts once,
    /// at its first place.
    public static func resolve(_ chain: Chain, policies: [Int: Policy]) -> [Applied] {
        let levels: [(Source, Int?, Bool)] = [
            (.agent, chain.agentPolicy, true),
            (.site, chain.sitePolicy, !chain.agentBlocks),
            (.client, chain.clientPolicy, !chain.agentBlocks && !chain.siteBlocks),
            (.default, chain.defaultPolicy, !chain.agentBlocks && !chain.siteBlocks && !chain.clientBlocks),
        ]
        var applied: [Applied] = []
        for (source, id, inherited) in levels {
            guard inherited, let id, let policy = policies[id], policy.active, !policy.excludes(chain),
                !applied.contains(where: { $0.id == id })
            else { continue }
            applied.append(Applied(id: id, enforced: policy.enforced, source: source))
        }
        return applied
    }
}
