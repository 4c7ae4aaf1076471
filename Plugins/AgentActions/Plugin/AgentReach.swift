import Foundation
import PluginKit

/// How a command's run ended, read from the host's `_options` envelope (agent_request):
/// the agent's reply, or why there is none.
enum AgentReach: Equatable {
    case reply(JSON)
    /// Published to a function that never answers, or queued for an offline agent.
    case sent
    case queued(pendingActionID: Int)
    case timeout
    case natsDown

    init(envelope: JSON) {
        switch envelope["status"]?.stringValue {
        case "ok": self = .reply(envelope["reply"] ?? .null)
        case "queued": self = .queued(pendingActionID: envelope["pending_action_id"]?.intValue ?? 0)
        case "timeout": self = .timeout
        case "natsdown": self = .natsDown
        default: self = .sent
        }
    }

    /// The agent's answer, or the error Tactical RMM gives when it cannot reach the agent.
    func answer(hostname: String) throws -> JSON {
        switch self {
        case .reply(let value): return value
        case .sent, .queued: return "ok"
        case .timeout: throw PluginHTTPError(400, "Unable to contact the agent \(hostname) (timeout).")
        case .natsDown: throw PluginHTTPError(503, "The agent bus (NATS) is down; try again shortly.")
        }
    }
}

extension AgentActions {
    /// Sends `command` with the host's bookkeeping (`_options`: a history row, the operator's
    /// name, a pending action for an offline agent) and waits up to `timeout` seconds (nil:
    /// the host's default for the function).
    func run(
        _ agent: JSON, _ command: [String: JSON], history: String?, historyType: String = "command", username: String?,
        timeout: Int? = nil, extra: [String: JSON] = [:]
    ) async throws -> AgentReach {
        var options: [String: JSON] = ["username": .string(username ?? "plugin:agent_actions")]
        if let history { options["history"] = ["type": .string(historyType), "command": .string(history)] }
        options.merge(extra) { _, new in new }
        var payload = command
        payload["_options"] = .object(options)
        let agentID = agent["agent_id"]?.stringValue ?? ""
        do {
            return AgentReach(envelope: try await host.agentRequest(agentID: agentID, payload: JSON.object(payload), timeout: timeout.map { .seconds($0) }))
        } catch let error as PluginError where error.status == .notFound {
            throw PluginHTTPError(404, "No agent with id \(agentID).")
        } catch let error as PluginError where error.status == .unavailable {
            throw PluginHTTPError(503, "The agent bus (NATS) is down; try again shortly.")
        }
    }

    /// Audits what was done to the agent, as the host's own routes did.
    func auditAgent(_ req: PluginRequest, _ agent: JSON, action: String = "modify", _ message: String) {
        try? host.audit(
            action: action, username: req.username, agentID: agent.agentID, object: "agent", detail: ["message": .string(message)],
            ip: req.sourceIP)
    }

    /// A whole number in a body field, inside `range`, or a 400 that names it.
    static func bodyInt(_ body: [String: JSON], _ field: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let value = body[field], value != .null else { return nil }
        guard let number = value.intValue ?? value.stringValue.flatMap({ Int($0) }), range.contains(number) else { throw BoundedInt.refusal("Field '\(field)'", range) }
        return number
    }
}
