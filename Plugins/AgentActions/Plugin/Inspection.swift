import Foundation
import PluginKit

/// Looking into the machine: its processes (and killing one) and its Windows event logs.
extension AgentActions {
    static let eventLogs: Set<String> = ["Application", "System", "Security"]

    func registerInspectionRoutes(_ r: Registrar) throws {
        try r.route(.get, "/agents/<agent_id>/processes/", permission: "can_manage_procs") { req in
            let agent = try await self.visibleAgent(req)
            let reach = try await self.run(agent, ["func": "procs"], history: nil, username: req.username)
            return try .json(try reach.answer(hostname: agent.hostname))
        }
        try r.route(.delete, "/agents/<agent_id>/processes/<pid>/", permission: "can_manage_procs") { req in
            let agent = try await self.visibleAgent(req)
            let pid = try req.intParam("pid", in: 1...Int(Int32.max))
            self.auditAgent(req, agent, "Killed process \(pid) on \(agent.hostname)")
            let reply = try await self.run(
                agent, ["func": "killproc", "procpid": .number(Double(pid))], history: "kill \(pid)", username: req.username
            ).answer(hostname: agent.hostname)
            guard reply == "ok" else { throw PluginHTTPError(400, reply.stringValue ?? "The agent could not kill process \(pid).") }
            return try .json(JSON.string("ok"))
        }
        try r.route(.get, "/agents/<agent_id>/eventlog/<logtype>/<days>/", permission: "can_view_eventlogs") { req in
            let agent = try await self.visibleAgent(req)
            let log = req.params["logtype"] ?? ""
            // 0 is no limit; ten years is as far back as any event log goes.
            let days = try req.intParam("days", in: 0...3650)
            guard Self.eventLogs.contains(log) else { throw PluginHTTPError(400, "Event log must be Application, System or Security.") }
            // Reading Security takes the agent far longer (docs/agent-protocol.md §4.3).
            let timeout = (log == "Security" ? 180 : 30) + 2
            try req.setTimeout(.seconds(timeout + 3))
            let reach = try await self.run(
                agent, ["func": "eventlog", "payload": ["logname": .string(log), "days": .string(String(days))]], history: nil,
                username: req.username, timeout: timeout)
            return try .json(try reach.answer(hostname: agent.hostname))
        }
    }
}
