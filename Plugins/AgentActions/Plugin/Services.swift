import Foundation
import PluginKit

/// Windows services through the agent's NATS commands (docs/agent-protocol.md §4.4:
/// winservices, winsvcdetail, winsvcaction, editwinsvc), answered as Tactical RMM answers them.
extension AgentActions {
    static let manageServices = "can_manage_winsvcs"
    static let startTypes: Set<String> = ["auto", "autodelay", "manual", "disabled"]
    static let serviceActions: Set<String> = ["start", "stop", "restart"]
    /// The agent waits up to 30 s for a service to stop or start, so each step gets 32 s, and
    /// the route sets its own deadline (call_set_timeout) to cover both halves of a restart.
    static let stepTimeout = 32
    static let queryTimeout = 10

    func registerServiceRoutes(_ r: Registrar) throws {
        try r.route(.get, "/services/<agent_id>/", permission: Self.manageServices) { req in
            let agent = try await self.visibleAgent(req)
            let services = try await self.ask(agent, ["func": "winservices"], timeout: Self.queryTimeout)
            guard services.arrayValue != nil else { throw PluginHTTPError(400, "The agent answered something that is not a service list.") }
            return try .json(services)
        }
        try r.route(.get, "/services/<agent_id>/<svcname>/", permission: Self.manageServices) { req in
            let agent = try await self.visibleAgent(req)
            let name = try Self.serviceName(req)
            let service = try await self.ask(
                agent, ["func": "winsvcdetail", "payload": ["name": .string(name)]], timeout: Self.queryTimeout)
            return try .json(service)
        }
        try r.route(.post, "/services/<agent_id>/<svcname>/", permission: Self.manageServices) { req in
            try await self.serviceAction(req)
        }
        try r.route(.put, "/services/<agent_id>/<svcname>/", permission: Self.manageServices) { req in
            try await self.editStartType(req)
        }
    }

    static func serviceName(_ req: PluginRequest) throws -> String {
        let name = req.params["svcname"] ?? ""
        guard !name.isEmpty, name.utf8.count <= 256 else { throw PluginHTTPError(400, "svcname must be a service name of 1 to 256 bytes.") }
        return name
    }

    func serviceAction(_ req: PluginRequest) async throws -> PluginResponse {
        let agent = try await visibleAgent(req)
        let name = try Self.serviceName(req)
        guard let action = try Self.body(req)["sv_action"]?.stringValue, Self.serviceActions.contains(action) else {
            throw PluginHTTPError(400, "sv_action is required: start, stop or restart.")
        }
        // Tactical RMM manages services on Windows only; elsewhere the agent's own service is
        // restarted with Recover Connection.
        guard agent["plat"]?.stringValue == "windows" else { throw PluginHTTPError(400, "Please use 'Recover Connection' instead.") }
        // Restart is stop, then start, as Tactical RMM does it: the agent knows only those two.
        let steps = action == "restart" ? ["stop", "start"] : [action]
        try req.setTimeout(.seconds(Self.stepTimeout * steps.count + 5))
        for step in steps {
            let reply = try await ask(
                agent, ["func": "winsvcaction", "payload": ["name": .string(name), "action": .string(step)]],
                timeout: Self.stepTimeout)
            try Self.requireSuccess(reply)
        }
        try? host.audit(
            action: "agent_actions.service_\(action)", username: req.principal["username"]?.stringValue,
            agentID: agent["agent_id"]?.stringValue, object: "service", detail: ["service": .string(name), "action": .string(action)])
        let done = ["start": "started", "stop": "stopped", "restart": "restarted"][action] ?? "stopped"
        return try .json(JSON.string("The service was \(done) successfully"))
    }

    func editStartType(_ req: PluginRequest) async throws -> PluginResponse {
        let agent = try await visibleAgent(req)
        let name = try Self.serviceName(req)
        guard let startType = try Self.body(req)["startType"]?.stringValue, Self.startTypes.contains(startType) else {
            throw PluginHTTPError(400, "startType is required: auto, autodelay, manual or disabled.")
        }
        let reply = try await ask(
            agent, ["func": "editwinsvc", "payload": ["name": .string(name), "startType": .string(startType)]], timeout: Self.queryTimeout)
        try Self.requireSuccess(reply)
        try? host.audit(
            action: "agent_actions.service_start_type", username: req.principal["username"]?.stringValue,
            agentID: agent["agent_id"]?.stringValue, object: "service", detail: ["service": .string(name), "startType": .string(startType)])
        return try .json(JSON.string("The service start type was updated successfully"))
    }

    /// The agent's WinSvcResp: {"success": bool, "errormsg": string}; its error text is the
    /// answer when it failed, as in Tactical RMM.
    static func requireSuccess(_ reply: JSON) throws {
        guard let success = reply["success"]?.boolValue else { throw PluginHTTPError(400, "Something went wrong") }
        if !success {
            let message = reply["errormsg"]?.stringValue ?? ""
            throw PluginHTTPError(400, message.isEmpty ? "Something went wrong" : message)
        }
    }
}
