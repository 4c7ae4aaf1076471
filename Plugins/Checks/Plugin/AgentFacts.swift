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
    /// The agent as the host renders it, for {{agent.x}} variables.
    let object: JSON

    var policyIDs: [Int] { policies.map(\.id) }
}

final class AgentFactsCache: Sendable {
    let host: PluginHost
    let ttl: Double
    private let entries = Mutex<[String: (facts: AgentFacts, at: Double)]>([:])

    init(host: PluginHost, ttl: Double) {
        self.host = host
        self.ttl = ttl
    }

    static func now() -> Double { Date().timeIntervalSince1970 }

    /// The agent's facts; nil when the host knows no such agent.
    func facts(_ agentID: String) async throws -> AgentFacts? {
        let now = Self.now()
        if ttl > 0, let hit = entries.withLock({ $0[agentID] }), now - hit.at < ttl { return hit.facts }
        let agent: JSON
        do {
            agent = try await host.coreObject(kind: .agentBrief, id: agentID)
        } catch let error as PluginError where error.status == .notFound {
            entries.withLock { _ = $0.removeValue(forKey: agentID) }
            return nil
        }
        let facts = AgentFacts(
            agentID: agentID, pk: agent["id"]?.intValue ?? 0, hostname: agent["hostname"]?.stringValue ?? "",
            checkInterval: agent["check_interval"]?.intValue ?? 120, plat: agent["plat"]?.stringValue ?? "windows",
            clientID: agent["client"]?.intValue ?? 0, clientName: agent["client_name"]?.stringValue ?? "",
            siteID: agent["site"]?.intValue ?? 0, siteName: agent["site_name"]?.stringValue ?? "",
            policies: (agent["policies"]?.arrayValueCompat ?? []).compactMap { p in
                p["id"]?.intValue.map { PolicyMerge.Policy(id: $0, enforced: p["enforced"]?.boolValue ?? false) }
            },
            object: agent)
        if ttl > 0 { entries.withLock { $0[agentID] = (facts, now) } }
        return facts
    }

    /// Forgets every agent (a policy changed or was deleted).
    func clear() { entries.withLock { $0.removeAll() } }
}

extension JSON {
    var arrayValueCompat: [JSON]? { if case .array(let a) = self { return a }; return nil }
}
