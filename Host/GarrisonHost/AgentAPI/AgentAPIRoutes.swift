import Foundation
import Hummingbird

/// The agent's own REST calls under `/api/v3/` that the host answers (the rest belong to
/// plugins: checks, tasks, software, patches). Bodies and answers follow
/// docs/agent-protocol.md §7.
enum AgentAPIRoutes {
    static func routes(_ host: HostContext) -> [Route] {
        [
            // Open to anyone on purpose: an agent whose token stopped working would otherwise
            // get a 401 here, and any non-200 answer crashes agent 2.9.1's service (docs/agent-protocol.md §7.3). The
            // body holds nothing but random intervals and public settings.
            Route(.get, "/api/v3/<agent_id>/config/", access: .anonymous, owner: "core", summary: "Agent check-in intervals (always 200)") {
                _ in
                Responses.json(AgentCheckInConfig.json())
            },
            Route(.post, "/api/v3/checkin/", access: .agent, summary: "Agent service start (Windows); announces agent.checkin") { call in
                let agent = try agentIdentity(call)
                try AgentReportRoutes.sameAgent(try call.object(), agent)
                // Plugins react (Windows updates scan, chocolatey install); the host only tells them.
                host.events.publish("agent.checkin", ["agent_id": .string(agent.agentID)])
                return Responses.message("ok")
            },
        ]
    }

    static func agentIdentity(_ call: Call) throws -> AgentIdentity {
        guard let agent = call.principal?.agent else { throw APIError.unauthenticated }
        return agent
    }
}
