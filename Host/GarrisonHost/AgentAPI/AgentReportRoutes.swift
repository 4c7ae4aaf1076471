import Foundation
import Hummingbird

/// What agents report over REST about themselves besides telemetry: command and script results,
/// the mesh node id, chocolatey (docs/agent-protocol.md §7.2, §7.8); the software inventory is
/// the software plugin's. An agent acts
/// on itself only: the token decides which agent it is, and ids in paths or bodies must match.
enum AgentReportRoutes {
    static func routes(_ host: HostContext) -> [Route] {
        [
            Route(
                .patch, "/api/v3/<hist_pk>/<agent_id>/histresult/", access: .agent, summary: "Result of a command or script run with an id"
            ) { call in
                let agent = try ownPath(call)
                let historyID = try call.intParam("hist_pk")
                let body = try call.object()
                var results: String?
                var scriptResults: JSON?
                if body.has("script_results") {
                    guard let object = body.fields["script_results"]?.objectValue else {
                        throw APIError.badRequest("script_results must be an object.")
                    }
                    scriptResults = .object(object)
                } else if body.has("results") {
                    results = try body.string("results")
                } else {
                    throw APIError.badRequest("Send 'results' (a command's output) or 'script_results' (a script's).")
                }
                let row = try await AgentHistoryWriter.agentReported(
                    host.pool, id: historyID, agentID: agent.agentID, results: results, scriptResults: scriptResults)
                // Another agent's row looks exactly like a missing one.
                guard let row else { throw APIError.notFound("No history entry \(historyID) for this agent.") }
                try await AgentResultSinks.apply(host.pool, historyID: historyID, result: scriptResults ?? .init(results))
                host.events.publish(
                    "agent.history.result",
                    [
                        "agent_id": .string(agent.agentID), "history_id": .init(historyID), "type": .string(row.string("type")),
                        "origin": .string(row.string("origin")), "script_name": .string(row.string("script_name")),
                        "results": .init(results), "script_results": scriptResults ?? .null,
                    ])
                return Responses.message("ok")
            },
            Route(.post, "/api/v3/syncmesh/", access: .agent, summary: "The agent's MeshCentral node id") { call in
                let agent = try AgentAPIRoutes.agentIdentity(call)
                let body = try call.object()
                try sameAgent(body, agent)
                let node = try body.string("nodeid")
                // The MeshAgent's node id as `meshagent -nodeid` prints it: 48 bytes in hex. Anything
                // else would make take-control links to no device (docs/compatibility.md).
                guard node.utf8.count == 96, node.utf8.allSatisfy({ $0 < 128 && Character(Unicode.Scalar($0)).isHexDigit }) else {
                    throw APIError.badRequest("nodeid must be the mesh agent's node id: 96 hexadecimal characters.")
                }
                let changed = try await host.pool.query(
                    "UPDATE agents SET mesh_node_id = $2 WHERE agent_id = $1 AND mesh_node_id IS DISTINCT FROM $2", [agent.agentID, node]
                ).affectedRows
                let runSync = body.fields["run_sync_task"]?.boolValue == true
                if changed > 0 || runSync {
                    host.events.publish(
                        "agent.meshnode", ["agent_id": .string(agent.agentID), "nodeid": .string(node), "run_sync_task": .bool(runSync)])
                }
                return Responses.message("ok")
            },
            Route(.post, "/api/v3/choco/", access: .agent, summary: "Whether chocolatey is installed") { call in
                let agent = try AgentAPIRoutes.agentIdentity(call)
                let body = try call.object()
                try sameAgent(body, agent)
                guard let installed = try body.optionalBool("installed") else {
                    throw APIError.badRequest("installed must be true or false.")
                }
                try await host.pool.query(
                    "UPDATE agents SET choco_installed = $2 WHERE agent_id = $1", [agent.agentID, installed ? "t" : "f"])
                return Responses.message("ok")
            },
            Route(
                .patch, "/api/v4/<agent_id>/<pk>/chocoresult/", access: .agent, summary: "Result of a chocolatey install (a pending action)"
            ) { call in
                let agent = try ownPath(call)
                let pk = try call.intParam("pk")
                let results = try call.object().string("results")
                // The output and whether chocolatey says it installed go in the action's details,
                // as Tactical RMM's pending actions show them.
                let name = try await host.pool.query(
                    "SELECT details->>'name' AS name FROM pending_actions WHERE id = $1 AND agent_id = $2", [String(pk), agent.agentID]
                ).first?.optionalString("name")
                let installed = ChocoOutcome.installed(package: name ?? "", output: results)
                let row = try await host.pool.query(
                    """
                    UPDATE pending_actions SET results = $3, status = 'completed',
                        details = details || jsonb_build_object('output', $3::text, 'installed', $4::boolean)
                    WHERE id = $1 AND agent_id = $2 RETURNING details
                    """, [String(pk), agent.agentID, results, installed ? "t" : "f"]
                ).first
                guard let row else { throw APIError.notFound("No pending action \(pk) for this agent.") }
                host.events.publish(
                    "agent.choco.result",
                    [
                        "agent_id": .string(agent.agentID), "pending_action_id": .init(pk), "results": .string(results),
                        "details": JSON.fromDatabase(row.optionalString("details"), fallback: [:]),
                    ])
                return Responses.message("ok")
            },
        ]
    }

    /// The `<agent_id>` in the path must be the token's own agent: 403 otherwise.
    static func ownPath(_ call: Call) throws -> AgentIdentity {
        let agent = try AgentAPIRoutes.agentIdentity(call)
        guard call.param("agent_id") == agent.agentID else { throw APIError.forbidden("This token belongs to another agent.") }
        return agent
    }

    static func sameAgent(_ body: FieldReader, _ agent: AgentIdentity) throws {
        if let claimed = try body.optionalString("agent_id"), claimed != agent.agentID {
            throw APIError.forbidden("agent_id does not match the token.")
        }
    }
}
