import ChecksCore
import Foundation
import PluginKit
import Synchronization

/// What the plugin needs to know about an agent on every agent call: its numeric id,
/// check interval, platform, where it sits and which policies reach it. Read from the host
/// (core_get "agent_brief": one call) and kept for `ttl` seconds, so a check run of
/// ten results asks the host once.
struct AgentFacts: Sendable {
    let agentID: String
    let pk: Int
    let hostname: String
    let checkInterval: Int
    let plat: String
    let clientID: Int
    let clientName: String
    let siteID: Int
    let siteName: String
    let policies: [PolicyMerge.Policy]
    /// The agent as the host sent it, parsed only when a check's {{agent.x}} needs it.
    let raw: Data

    var policyIDs: [Int] { policies.map(\.id) }
    var object: JSON { (try? JSON(parsing: raw)) ?? .null }
}

/// The members of core_get "agent_brief" the plugin reads on every agent call, decoded
/// straight from the host's bytes (no JSON tree for the dozens of other members).
struct AgentBrief: Decodable {
    struct Applied: Decodable { let id: Int; let enforced: Bool? }
    let id: Int?
    let hostname: String?
    let check_interval: Int?
    let plat: String?
    let client: Int?
    let client_name: String?
    let site: Int?
    let site_name: String?
    let policies: [Applied]?
}

final class AgentFactsCache: Sendable {
    let host: PluginHost
    let ttl: Double
    private let entries = Mutex<[String: (facts: AgentFacts, at: Double)]>([:])
    /// Misses in flight: an agent's results arrive together (the agent runs its checks
    /// at once), and they share one core_get.
    private let loading = Mutex<[String: Task<AgentFacts?, any Error>]>([:])

    init(host: PluginHost, ttl: Double) {
        self.host = host
        self.ttl = ttl
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    /// The agent's facts; nil when the host knows no such agent.
    func facts(_ agentID: String) async throws -> AgentFacts? {
        let now = Self.now()
        if ttl > 0, let hit = entries.withLock({ $0[agentID] }), now - hit.at < ttl { return hit.facts }
        let task = loading.withLock { loading -> Task<AgentFacts?, any Error> in
            if let running = loading[agentID] { return running }
            let task = Task { try await self.load(agentID, at: now) }
            loading[agentID] = task
            return task
        }
        defer { loading.withLock { if $0[agentID] == task { $0.removeValue(forKey: agentID) } } }
        return try await task.value
    }

    private func load(_ agentID: String, at now: Double) async throws -> AgentFacts? {
        let raw: Data
        do {
            raw = try await host.coreData(kindNamed: CoreKind.agentBrief.rawValue, id: agentID)
        } catch let error as PluginError where error.status == .notFound {
            entries.withLock { _ = $0.removeValue(forKey: agentID) }
            return nil
        }
        let agent = try JSONDecoder().decode(AgentBrief.self, from: raw)
        let facts = AgentFacts(
            agentID: agentID, pk: agent.id ?? 0, hostname: agent.hostname ?? "", checkInterval: agent.check_interval ?? 120,
            plat: agent.plat ?? "windows", clientID: agent.client ?? 0, clientName: agent.client_name ?? "",
            siteID: agent.site ?? 0, siteName: agent.site_name ?? "",
            policies: (agent.policies ?? []).map { PolicyMerge.Policy(id: $0.id, enforced: $0.enforced ?? false) },
            raw: raw)
        if ttl > 0 { entries.withLock { $0[agentID] = (facts, now) } }
        return facts
    }

    /// Forgets every agent (a policy changed or was deleted).
    func clear() {
        loading.withLock { $0.removeAll() }
        entries.withLock { $0.removeAll() }
    }
}
