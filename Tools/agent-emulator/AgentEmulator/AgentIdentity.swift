/// An enrolled agent: what the installer got back from `newagent` and the agent keeps.
public struct AgentIdentity: Sendable, Hashable {
    public var agentID: String
    /// The REST token and the NATS password.
    public var token: String
    public var hostname: String
    public var version: String

    public init(agentID: String, token: String, hostname: String? = nil, version: String = "2.9.1") {
        self.agentID = agentID
        self.token = token
        self.hostname = hostname ?? "emu-\(agentID.prefix(8))"
        self.version = version
    }

    /// 40 random ASCII letters, as the agent's GenerateAgentID.
    public static func newAgentID() -> String {
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return String((0..<40).map { _ in letters.randomElement()! })
    }

    /// One identity per line, "agent_id token", so a run can reconnect without enrolling again.
    public static func parseLines(_ text: String) -> [AgentIdentity] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count >= 2 ? AgentIdentity(agentID: String(fields[0]), token: String(fields[1])) : nil
        }
    }
}
