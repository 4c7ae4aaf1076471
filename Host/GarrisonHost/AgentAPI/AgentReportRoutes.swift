import Foundation
import Hummingbird

/// What agents report over REST about themselves besides telemetry: command and script results,
/// the mesh node id, chocolatey (docs/agent-protocol.md §7.2, §7.8); the software inventory is
/// the software plugin's. An agent acts on itself only: the token decides which agent it is,
/// and ids in paths or bodies must match. The table names each route's handler; the SQL is
/// AgentReportQueries'.
struct AgentReportRoutes {
    let host: HostContext

    static func routes(_ host: HostContext) -> [Route] {
        let routes = AgentReportRoutes(host: host)
        return [
            Route(
                .patch, "/api/v3/<hist_pk>/<agent_id>/histresult/", access: .agent, summary: "Result of a command or script run with an id",
                handler: routes.historyResult),
            Route(.post, "/api/v3/syncmesh/", access: .agent, summary: "The agent's MeshCentral node id", handler: routes.meshNode),
            Route(.post, "/api/v3/choco/", access: .agent, summary: "Whether chocolatey is installed", handler: routes.chocolateyInstalled),
            Route(
                .patch, "/api/v4/<agent_id>/<pk>/chocoresult/", access: .agent, summary: "Result of a chocolatey install (a pending action)",
                handler: routes.chocolateyResult),
        ]
    }

    @Sendable func historyResult(_ call: Call) async throws -> Response {
        let agent = try Self.ownPath(call)
        let historyID = try call.intParam("hist_pk")
        let body = try call.object()
        var results: String?
        var scriptResults: JSON?
        if body.has("script_results") {
            guard let object = body.fields["script_results"]?.objectValue else { throw APIError.badRequest("script_results must be an object.") }
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
                "origin": .string(row.string("origin")), "script_name": .string(row.string("script_name")), "results": .init(results),
                "script_results": scriptResults ?? .null,
            ])
        return Responses.message("ok")
    }

    @Sendable func meshNode(_ call: Call) async throws -> Response {
        let agent = try AgentAPIRoutes.agentIdentity(call)
        let body = try call.object()
        try Self.sameAgent(body, agent)
        let node = try body.string("nodeid")
        // The MeshAgent's node id as `meshagent -nodeid` prints it: 48 bytes in hex. Anything
        // else would make take-control links to no device (docs/compatibility.md).
        guard node.utf8.count == 96, node.utf8.allSatisfy({ $0 < 128 && Character(Unicode.Scalar($0)).isHexDigit }) else {
            throw APIError.badRequest("nodeid must be the mesh agent's node id: 96 hexadecimal characters.")
        }
        let changed = try await AgentReportQueries.setMeshNode(host.pool, agentID: agent.agentID, node: node)
        let runSync = body.fields["run_sync_task"]?.boolValue == true
        if changed || runSync {
            host.events.publish("agent.meshnode", ["agent_id": .string(agent.agentID), "nodeid": .string(node), "run_sync_task": .bool(runSync)])
        }
        return Responses.message("ok")
    }

    @Sendable func chocolateyInstalled(_ call: Call) async throws -> Response {
        let agent = try AgentAPIRoutes.agentIdentity(call)
        let body = try call.object()
        try Self.sameAgent(body, agent)
        guard let installed = try body.optionalBool("installed") else { throw APIError.badRequest("installed must be true or false.") }
        try await AgentReportQueries.setChocolateyInstalled(host.pool, agentID: agent.agentID, installed)
        return Responses.message("ok")
    }

    @Sendable func chocolateyResult(_ call: Call) async throws -> Response {
        let agent = try Self.ownPath(call)
        let pk = try call.intParam("pk")
        let results = try call.object().string("results")
        // The output and whether chocolatey says it installed go in the action's details,
        // as Tactical RMM's pending actions show them.
        let name = try await AgentReportQueries.chocolateyPackage(host.pool, action: pk, agentID: agent.agentID)
        let installed = ChocoOutcome.installed(package: name ?? "", output: results)
        guard let details = try await AgentReportQueries.completeChocolatey(host.pool, action: pk, agentID: agent.agentID, results, installed)
        else { throw APIError.notFound("No pending action \(pk) for this agent.") }
        host.events.publish(
            "agent.choco.result",
            ["agent_id": .string(agent.agentID), "pending_action_id": .init(pk), "results": .string(results), "details": details])
        return Responses.message("ok")
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
