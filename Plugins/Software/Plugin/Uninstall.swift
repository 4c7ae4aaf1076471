import Foundation
import PluginKit

/// `POST /software/<agent_id>/uninstall/`: runs the program's own uninstall string on the
/// agent with cmd, recorded in the agent's history, without waiting for it to finish.
extension Software {
    func registerUninstallRoute(_ r: Registrar) throws {
        try r.route(.post, "/software/<agent_id>/uninstall/", permission: "can_manage_software") { req in
            // Running an arbitrary command line is what can_send_cmd guards elsewhere, so the
            // route needs both, as Tactical RMM's UninstallSoftwarePerms does.
            try Self.requirePermission(req, "can_send_cmd")
            let agent = try await self.visibleAgent(req)
            try agent.requireWindows()
            let body = try req.bodyObject()
            let name = try req.requiredString(body, "name")
            let command = try req.requiredString(body, "command")
            guard let timeout = body["timeout"]?.intValue, (1...86_400).contains(timeout) else {
                throw PluginHTTPError(400, "Field 'timeout' is required: a whole number of seconds from 1 to 86400.")
            }
            guard let runAsUser = body["run_as_user"]?.boolValue else {
                throw PluginHTTPError(400, "Field 'run_as_user' is required: true or false.")
            }
            let lowered = command.lowercased()
            if lowered.contains("tacticalagent") && lowered.contains("unins") {
                throw PluginHTTPError(400, "The Tactical RMM Agent cannot be uninstalled from here.")
            }
            let message: JSON = [
                "func": "rawcmd", "timeout": .number(Double(timeout)), "run_as_user": .bool(runAsUser),
                "payload": ["command": .string(command), "shell": "cmd"],
                "_options": ["history": ["type": "cmd_run", "command": .string(command)], "username": .string(req.username)],
            ]
            do { try self.host.agentSend(agentID: agent.agent_id, payload: message) } catch let error as PluginError
                where error.status == .unavailable
            {
                throw PluginHTTPError(400, "Unable to contact the agent")
            }
            try? self.host.audit(
                action: "execute_command", username: req.username, agentID: agent.agent_id, object: "agent",
                detail: ["message": .string("Uninstalling \(name) on \(agent.hostname): \(command)")], ip: req.sourceIP)
            return try .json(JSON.string("\(name) will now be uninstalled on \(agent.hostname)."))
        }
    }

    /// The caller's role must also hold `permission` (superusers hold every one).
    static func requirePermission(_ req: PluginRequest, _ permission: String) throws {
        if req.principal["is_superuser"]?.boolValue == true { return }
        let held = req.principal["permissions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard held.contains(permission) else {
            throw PluginHTTPError(403, "You do not have permission to perform this action: it needs \(permission) as well.")
        }
    }
}
