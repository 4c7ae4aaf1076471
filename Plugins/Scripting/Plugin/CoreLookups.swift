import PluginKit
import Synchronization

/// core_get answers as variable values, each read once per memo: a bulk run over 10,000
/// agents of one client asks the host for that client once, not 10,000 times.
final class CoreLookups: Sendable {
    let host: PluginHost
    private let answers = Mutex<[String: Task<[String: String], any Error>]>([:])

    init(host: PluginHost) { self.host = host }

    func get(_ kind: String, _ id: String) async throws -> [String: String] {
        let key = kind + "\u{0}" + id
        let task = answers.withLock { answers -> Task<[String: String], any Error> in
            if let known = answers[key] { return known }
            let task = Task { [host] in try await host.coreObject(kindNamed: kind, id: id).variableFields }
            answers[key] = task
            return task
        }
        return try await task.value
    }
}

/// One agent of core_get "agent_variables", keeping only what a run's {{agent.x}} read:
/// decoding every member of 10,000 agents into JSON trees would cost more than the run.
struct AgentVariablesRow: Decodable {
    static let wanted = CodingUserInfoKey(rawValue: "garrison.wanted")!
    let agentID: String
    /// agent_id, client, site, the wanted members and custom_fields, as target(agent:) reads them.
    let object: JSON

    struct Key: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let wanted = decoder.userInfo[Self.wanted] as? Set<String> ?? []
        let c = try decoder.container(keyedBy: Key.self)
        agentID = try c.decode(String.self, forKey: Key(stringValue: "agent_id"))
        var members: [String: JSON] = [:]
        for name in wanted.union(["agent_id", "hostname", "plat", "client", "site", "custom_fields"]) {
            let key = Key(stringValue: name)
            if c.contains(key) { members[name] = try c.decode(JSON.self, forKey: key) }
        }
        object = .object(members)
    }
}
