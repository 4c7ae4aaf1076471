import Foundation
import Hummingbird

/// Operator routes that talk to an agent over NATS (docs/compatibility.md §2.1). Each
/// goes through the AgentCommander, so it is recorded in the agent's history and audited.
enum AgentCommandRoutes {
    static func routes(_ host: HostContext, commander: AgentCommander) -> [Route] {
        [
            Route(
                .get, "/agents/<agent_id>/ping/", access: .permission("can_list_agents"),
                summary: "Ask the agent over NATS whether it is there"
            ) { call in
                let agent = try await AgentRoutes.loadForCommand(host, call)
                // Tactical RMM waits for "pong"; anything else reads as offline.
                let outcome = await commander.send(AgentCommand("ping"), to: agent.string("agent_id"), timeout: .seconds(5))
                var answer: [String: JSON] = ["name": .init(agent.string("hostname")), "status": "offline"]
                switch outcome {
                case .reply(let value):
                    if value == .string("pong") { answer["status"] = "online" } else { answer["reason"] = "unexpected answer" }
                case .natsDown: answer["reason"] = "natsdown"
                default: answer["reason"] = "timeout"
                }
                return Responses.json(.object(answer))
            },
            Route(
                .post, "/agents/<agent_id>/cmd/", access: .permission("can_send_cmd"),
                summary: "Run a shell command and wait for its output"
            ) { call in
                let agent = try await AgentRoutes.loadForCommand(host, call)
                let body = try call.object()
                let text = try body.nonEmptyString("cmd")
                let timeout = try body.optionalInt("timeout", in: 1...86_400) ?? 30
                let shell = try ShellChoice.resolve(
                    requested: try body.optionalString("shell"), custom: try body.optionalString("custom_shell"), plat: agent.string("plat")
                )
                var command = AgentCommand("rawcmd", payload: ["command": text, "shell": shell], fields: ["timeout": .int(Int64(timeout))])
                command.set("run_as_user", .bool(try body.optionalBool("run_as_user") ?? false))
                await host.audit(
                    call, .executeCommand, "agent", "\(agent.string("hostname")): \(text)", agentID: agent.string("agent_id"),
                    agentHostname: agent.string("hostname"))
                let result = try await commander.run(
                    .init(
                        agentID: agent.string("agent_id"), command: command, timeout: .seconds(timeout + 2),
                        history: .init(type: "cmd_run", command: text), username: try call.user.username))
                return Responses.json(.string(try answer(result, agent).stringValue ?? ""))
            },
            Route(.post, "/agents/<agent_id>/reboot/", access: .permission("can_reboot_agents"), summary: "Reboot now") { call in
                let agent = try await AgentRoutes.loadForCommand(host, call)
                _ = try await runAudited(host, commander, call, agent, AgentCommand("rebootnow"), note: "reboot", audit: "Rebooted")
                return Responses.message("\(agent.string("hostname")) will now be restarted")
            },
            Route(
                .patch, "/agents/<agent_id>/reboot/", access: .permission("can_reboot_agents"),
                summary: "Schedule a reboot (a pending action, delivered at that time)"
            ) { call in
                let agent = try await AgentRoutes.loadForCommand(host, call)
                let zone = TimeZone(identifier: agent.optionalString("time_zone") ?? "") ?? TimeZone(identifier: "UTC")!
                let when = try RebootTime.parse(try call.object().nonEmptyString("datetime"), zone: zone)
                guard when > Date() else { throw APIError.badRequest("Date and time must be in the future.") }
                let result = try await commander.run(
                    .init(
                        agentID: agent.string("agent_id"), command: AgentCommand("rebootnow"),
                        history: .init(type: "command", command: "scheduled reboot"), queueIfOffline: true,
                        actionType: "schedreboot", details: ["time": .string(when.iso8601)], username: try call.user.username,
                        notBefore: when))
                guard case .queued(let id) = result.outcome else { throw APIError.unavailable("The reboot could not be scheduled.") }
                await host.audit(
                    call, .modify, "agent", "Scheduled a reboot of \(agent.string("hostname")) at \(when.iso8601)",
                    agentID: agent.string("agent_id"), agentHostname: agent.string("hostname"))
                return Responses.json([
                    "time": .string(when.iso8601), "agent": .init(agent.string("hostname")), "pending_action": .init(id),
                ])
            },
            Route(.post, "/agents/<agent_id>/shutdown/", access: .permission("can_reboot_agents"), summary: "Shut the machine down") {
                call in
                let agent = try await AgentRoutes.loadForCommand(host, call)
                _ = try await runAudited(host, commander, call, agent, AgentCommand("shutdown"), note: "shutdown", audit: "Shut down")
                return Responses.message("\(agent.string("hostname")) will now be shut down")
            },
            Route(.post, "/agents/<agent_id>/recover/", access: .permission("can_recover_agents"), summary: "Recover the mesh agent") {
                call in
                let agent = try await AgentRoutes.loadForCommand(host, call)
                let mode = try call.object().optionalString("mode") ?? "mesh"
                guard mode == "mesh" else {
                    // Restarting the Tactical agent itself goes through MeshCentral, not NATS (docs/agent-protocol.md §4.7).
                    throw APIError.badRequest(
                        "Recovery mode '\(mode)' runs through MeshCentral; enable the MeshCentral plugin for it. Mode 'mesh' works over NATS."
                    )
                }
                _ = try await runAudited(
                    host, commander, call, agent, AgentCommand("recover", payload: ["mode": "mesh"]), note: "recover mesh",
                    audit: "Mesh recovery of", timeout: .seconds(90))
                return Responses.message("Mesh agent recovered on \(agent.string("hostname"))")
            },
            Route(.get, "/agents/<agent_id>/processes/", access: .permission("can_manage_procs"), summary: "The agent's process list") {
                call in
                let agent = try await AgentRoutes.loadForCommand(host, call)
                return Responses.json(
                    try answer(
                        try await commander.run(
                            .init(agentID: agent.string("agent_id"), command: AgentCommand("procs"), username: try call.user.username)),
                        agent
                    ).json)
            },
            Route(
                .delete, "/agents/<agent_id>/processes/<pid>/", access: .permission("can_manage_procs"),
                summary: "Kill a process and its children"
            ) { call in
                let agent = try await AgentRoutes.loadForCommand(host, call)
                let pid = try call.intParam("pid", in: 1...Int(Int32.max))
                let reply = try await runAudited(
                    host, commander, call, agent, AgentCommand("killproc", fields: ["procpid": .int(Int64(pid))]), note: "kill \(pid)",
                    audit: "Killed process \(pid) on")
                guard reply == .string("ok") else {
                    throw APIError.badRequest(reply.stringValue ?? "The agent could not kill process \(pid).")
                }
                return Responses.message("ok")
            },
            Route(
                .get, "/agents/<agent_id>/eventlog/<logtype>/<days>/", access: .permission("can_view_eventlogs"),
                summary: "Read a Windows event log"
            ) { call in
                let agent = try await AgentRoutes.loadForCommand(host, call)
                let log = call.param("logtype")
                // 0 is no limit; ten years is as far back as any event log goes.
                let days = try call.intParam("days", in: 0...3650)
                guard ["Application", "System", "Security"].contains(log) else {
                    throw APIError.badRequest("Event log must be Application, System or Security.")
                }
                // Reading Security takes the agent far longer (docs/agent-protocol.md §4.3).
                let timeout: Duration = .seconds((log == "Security" ? 180 : 30) + 2)
                let command = AgentCommand("eventlog", payload: ["logname": log, "days": String(days)])
                return Responses.json(
                    try answer(
                        try await commander.run(
                            .init(agentID: agent.string("agent_id"), command: command, timeout: timeout, username: try call.user.username)),
                        agent
                    ).json)
            },
            Route(
                .post, "/agents/<agent_id>/wmi/", access: .permission("can_edit_agent"),
                summary: "Ask the agent to refresh its WMI inventory"
            ) { call in
                let agent = try await AgentRoutes.loadForCommand(host, call)
                // `wmi` never answers; the inventory arrives as agent-wmi telemetry.
                _ = try answer(
                    try await commander.run(
                        .init(agentID: agent.string("agent_id"), command: AgentCommand("wmi"), username: try call.user.username)), agent)
                return Responses.message("ok")
            },
        ]
    }

    /// Audits "<audit> <hostname>", runs the command with a history row, returns the answer.
    static func runAudited(
        _ host: HostContext, _ commander: AgentCommander, _ call: Call, _ agent: PGRow, _ command: AgentCommand,
        note: String, audit: String, timeout: Duration? = nil
    ) async throws -> MsgPackValue {
        await host.audit(
            call, .modify, "agent", "\(audit) \(agent.string("hostname"))", agentID: agent.string("agent_id"),
            agentHostname: agent.string("hostname"))
        return try answer(
            try await commander.run(
                .init(
                    agentID: agent.string("agent_id"), command: command, timeout: timeout,
                    history: .init(type: "command", command: note), username: try call.user.username)), agent)
    }

    /// The agent's answer, or the 400 Tactical RMM gives when it cannot reach the agent.
    static func answer(_ result: AgentCommander.Result, _ agent: PGRow) throws -> MsgPackValue {
        switch result.outcome {
        case .reply(let value): return value
        case .sent, .queued: return .string("ok")
        case .timeout: throw APIError.badRequest("Unable to contact the agent \(agent.string("hostname")) (timeout).")
        case .natsDown: throw APIError.unavailable("The agent bus (NATS) is down; try again shortly.")
        }
    }
}

/// Which shell string `rawcmd` may carry. Agent 2.9.1 crashes on any Windows shell other than
/// cmd and powershell, and runs `<shell> -c` elsewhere, so an empty shell would fail
/// (docs/agent-protocol.md §4.6).
enum ShellChoice {
    static func resolve(requested: String?, custom: String?, plat: String) throws -> String {
        if plat == "windows" {
            let shell = requested ?? "cmd"
            guard shell == "cmd" || shell == "powershell" else {
                throw APIError.badRequest("Windows agents run commands with 'cmd' or 'powershell' only.")
            }
            return shell
        }
        let shell = requested == "custom" ? (custom ?? "") : (requested ?? "/bin/bash")
        let path = shell.isEmpty || shell == "cmd" || shell == "powershell" ? "" : shell
        guard path.hasPrefix("/") else { throw APIError.badRequest("Linux and macOS agents need a shell path such as /bin/bash.") }
        return path
    }
}

/// A reboot time as the UI sends it: "2026-12-01T22:30", "2026-12-01 22:30" (the agent's
/// local time) or a full ISO 8601 time with offset.
enum RebootTime {
    static func parse(_ text: String, zone: TimeZone) throws -> Date {
        let iso = ISO8601DateFormatter()
        if let date = iso.date(from: text) { return date }
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = iso.date(from: text) { return date }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        for format in ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        throw APIError.badRequest("Field 'datetime' must look like 2026-12-01T22:30 (agent's local time) or an ISO 8601 time.")
    }
}
