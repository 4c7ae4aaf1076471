import Foundation
import Hummingbird

/// Operator routes that talk to an agent over NATS. Ping first; the other commands of issue 4
/// (cmd, reboot, processes, ...) join this file.
enum AgentCommandRoutes {
    static func routes(_ host: HostContext, bus: BusLink) -> [Route] {
        [
            Route(.get, "/agents/<agent_id>/ping/", access: .permission("can_list_agents"), summary: "Ask the agent over NATS whether it is there") { call in
                let agent = try await AgentRoutes.load(host, call)
                // Tactical RMM waits 5 s for "pong"; anything else reads as offline.
                let reply = await bus.request(agentID: agent.string("agent_id"), AgentCommand("ping"), timeout: .seconds(5))
                var answer: [String: JSONValue] = ["name": .init(agent.string("hostname")), "status": "offline"]
                switch reply {
                case .reply(let bytes):
                    if (try? MsgPackDecoder.decode(bytes)) == .string("pong") { answer["status"] = "online" } else { answer["reason"] = "unexpected answer" }
                case .timeout:
                    answer["reason"] = "timeout"
                case .natsDown:
                    answer["reason"] = "natsdown"
                }
                return Responses.json(.object(answer))
            },
        ]
    }
}
