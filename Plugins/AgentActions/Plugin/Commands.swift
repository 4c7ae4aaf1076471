import Foundation
import PluginKit

/// The operator commands of Tactical RMM's agent views: ping, a shell command, reboot (now or
/// at a time), shutdown, mesh recovery and a WMI refresh, each recorded in the agent's history
/// by the host (agent_request's `_options`) and audited. Answers and texts as the host's own
/// routes gave them before they moved here (docs/compatibility.md §2.1).
extension AgentActions {
    static let cmdTimeouts = 1...86_400

    func registerCommandRoutes(_ r: Registrar) throws {
        try r.route(.get, "/agents/<agent_id>/ping/", permission: "can_list_agents") { req in try await self.ping(req) }
        try r.route(.post, "/agents/<agent_id>/cmd/", permission: "can_send_cmd") { req in try await self.shellCommand(req) }
        try r.route(.post, "/agents/<agent_id>/reboot/", permission: "can_reboot_agents") { req in
            try await self.powerCommand(req, "rebootnow", note: "reboot", verb: "Rebooted", answer: "will now be restarted")
        }
        try r.route(.patch, "/agents/<agent_id>/reboot/", permission: "can_reboot_agents") { req in try await self.scheduleReboot(req) }
        try r.route(.post, "/agents/<agent_id>/shutdown/", permission: "can_reboot_agents") { req in
            try await self.powerCommand(req, "shutdown", note: "shutdown", verb: "Shut down", answer: "will now be shut down")
        }
        try r.route(.post, "/agents/<agent_id>/recover/", permission: "can_recover_agents") { req in try await self.recover(req) }
        try r.route(.post, "/agents/<agent_id>/wmi/", permission: "can_edit_agent") { req in
            let agent = try await self.visibleAgent(req)
            // `wmi` never answers; the inventory arrives as agent-wmi telemetry.
            _ = try await self.run(agent, ["func": "wmi"], history: nil, username: req.username)
                .answer(hostname: agent.hostname)
            return try .json(JSON.string("ok"))
        }
    }

    /// Tactical RMM waits for "pong"; anything else reads as offline, with the reason.
    func ping(_ req: PluginRequest) async throws -> PluginResponse {
        let agent = try await visibleAgent(req)
        var answer: [String: JSON] = ["name": .string(agent.hostname), "status": "offline"]
        do {
            let reply = try await host.agentRequest(agentID: agent.agentID, payload: ["func": "ping"] as JSON, timeout: .seconds(5))
            if reply == "pong" { answer["status"] = "online" } else { answer["reason"] = "unexpected answer" }
        } catch let error as PluginError where error.status == .unavailable {
            answer["reason"] = "natsdown"
        } catch let error as PluginError where error.status == .notFound {
            throw PluginHTTPError(404, "No agent with id \(agent.agentID).")
        } catch is PluginError {
            answer["reason"] = "timeout"
        }
        return try .json(JSON.object(answer))
    }

    /// `rawcmd`: the agent runs it and its histresult completes the history row; the route
    /// waits as long as the operator allowed, on its own deadline (call_set_timeout).
    func shellCommand(_ req: PluginRequest) async throws -> PluginResponse {
        let agent = try await visibleAgent(req)
        let body = try Self.body(req)
        guard let text = body["cmd"]?.stringValue, !text.isEmpty else { throw PluginHTTPError(400, "Field 'cmd' is required.") }
        let timeout = try Self.bodyInt(body, "timeout", in: Self.cmdTimeouts) ?? 30
        let shell = try ShellChoice.resolve(
            requested: try Self.optionalString(body, "shell"), custom: try Self.optionalString(body, "custom_shell"),
            plat: agent["plat"]?.stringValue ?? "")
        let runAsUser = body["run_as_user"]?.boolValue ?? false
        try req.setTimeout(.seconds(timeout + 5))
        auditAgent(req, agent, action: "execute_command", "\(agent.hostname): \(text)")
        let reach = try await run(
            agent,
            ["func": "rawcmd", "timeout": .number(Double(timeout)), "run_as_user": .bool(runAsUser),
             "payload": ["command": .string(text), "shell": .string(shell)]],
            history: text, historyType: "cmd_run", username: req.username, timeout: timeout + 2)
        return try .json(JSON.string(try reach.answer(hostname: agent.hostname).stringValue ?? ""))
    }

    func powerCommand(_ req: PluginRequest, _ function: String, note: String, verb: String, answer: String) async throws -> PluginResponse {
        let agent = try await visibleAgent(req)
        auditAgent(req, agent, "\(verb) \(agent.hostname)")
        _ = try await run(agent, ["func": .string(function)], history: note, username: req.username)
            .answer(hostname: agent.hostname)
        return try .json(JSON.string("\(agent.hostname) \(answer)"))
    }

    /// A reboot at the agent's local time, kept by the host as a pending action until then.
    func scheduleReboot(_ req: PluginRequest) async throws -> PluginResponse {
        let brief = try await visibleAgent(req)
        let agent = (try? await host.coreObject(kindNamed: "agent", id: brief.agentID)) ?? brief
        let zone = TimeZone(identifier: agent["time_zone"]?.stringValue ?? "") ?? TimeZone(identifier: "UTC")!
        guard let text = try Self.body(req)["datetime"]?.stringValue, !text.isEmpty else {
            throw PluginHTTPError(400, "Field 'datetime' is required.")
        }
        let when = try RebootTime.parse(text, zone: zone)
        guard when > Date() else { throw PluginHTTPError(400, "Date and time must be in the future.") }
        let time = ISO8601DateFormatter().string(from: when)
        let reach = try await run(
            brief, ["func": "rebootnow"], history: "scheduled reboot", username: req.username,
            extra: [
                "queue_if_offline": true, "not_before": .string(time), "action_type": "schedreboot", "details": ["time": .string(time)],
            ])
        guard case .queued(let id) = reach else { throw PluginHTTPError(503, "The reboot could not be scheduled.") }
        auditAgent(req, brief, "Scheduled a reboot of \(brief.hostname) at \(time)")
        return try .json(["time": .string(time), "agent": .string(brief.hostname), "pending_action": .number(Double(id))] as JSON)
    }

    func recover(_ req: PluginRequest) async throws -> PluginResponse {
        let agent = try await visibleAgent(req)
        let mode = try Self.optionalString(try Self.body(req), "mode") ?? "mesh"
        guard mode == "mesh" else {
            // Restarting the Tactical agent itself goes through MeshCentral, not NATS (docs/agent-protocol.md §4.7).
            throw PluginHTTPError(
                400, "Recovery mode '\(mode)' runs through MeshCentral; enable the MeshCentral plugin for it. Mode 'mesh' works over NATS.")
        }
        try req.setTimeout(.seconds(95))
        auditAgent(req, agent, "Mesh recovery of \(agent.hostname)")
        _ = try await run(
            agent, ["func": "recover", "payload": ["mode": "mesh"]], history: "recover mesh", username: req.username, timeout: 90
        ).answer(hostname: agent.hostname)
        return try .json(JSON.string("Mesh agent recovered on \(agent.hostname)"))
    }

    /// A string field, absent or null as nil; any other type is a 400 naming it.
    static func optionalString(_ body: [String: JSON], _ field: String) throws -> String? {
        guard let value = body[field], value != .null else { return nil }
        guard let text = value.stringValue else { throw PluginHTTPError(400, "Field '\(field)' must be a string.") }
        return text
    }
}

extension PluginRequest {
    /// The operator's name, for history rows and the audit log.
    var username: String? { principal["username"]?.stringValue }
}

extension JSON {
    var hostname: String { self["hostname"]?.stringValue ?? "" }
    var agentID: String { self["agent_id"]?.stringValue ?? "" }
}
