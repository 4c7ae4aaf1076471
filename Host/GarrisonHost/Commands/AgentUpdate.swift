import Foundation

/// The `agentupdate` command (docs/agent-protocol.md §4.7). Sent only when an operator asks or
/// the core setting `agent_auto_update` is on; to offline agents it waits as a pending action.
struct AgentUpdate: Sendable {
    let latestVersion: String
    let urlTemplate: String

    func command(plat: String, goarch: String) -> AgentCommand {
        let url = urlTemplate.replacingOccurrences(of: "{version}", with: latestVersion)
            .replacingOccurrences(of: "{plat}", with: plat).replacingOccurrences(of: "{goarch}", with: goarch)
        return AgentCommand(
            "agentupdate", payload: ["url": url, "version": latestVersion, "inno": "tacticalagent-v\(latestVersion)-\(plat)-\(goarch).exe"])
    }

    /// Dotted versions compared numerically ("2.10.0" > "2.9.1"); a missing part counts as 0.
    static func isOlder(_ version: String, than latest: String) -> Bool {
        let parts = { (text: String) in text.split(separator: ".").map { Int($0.prefix { $0.isNumber }) ?? 0 } }
        let (a, b) = (parts(version), parts(latest))
        for index in 0..<max(a.count, b.count) {
            let (x, y) = (index < a.count ? a[index] : 0, index < b.count ? b[index] : 0)
            if x != y { return x < y }
        }
        return false
    }

    /// Sends the update to each agent that is older than the latest version and knows its
    /// architecture (agents without goarch cannot be given a binary). Returns the agents sent to.
    func send(to rows: [PGRow], commander: AgentCommander, username: String) async throws -> [String] {
        var sent: [String] = []
        for row in rows where !row.string("goarch").isEmpty && Self.isOlder(row.string("version"), than: latestVersion) {
            let command = command(plat: row.string("plat"), goarch: row.string("goarch"))
            _ = try await commander.run(
                .init(
                    agentID: row.string("agent_id"), command: command, queueIfOffline: true, actionType: "agentupdate",
                    details: ["url": .string(command.payloadValue("url") ?? ""), "version": .string(latestVersion)], username: username))
            sent.append(row.string("agent_id"))
        }
        return sent
    }
}
