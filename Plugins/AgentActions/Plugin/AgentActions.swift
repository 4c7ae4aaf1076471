import Foundation
import PluginKit

/// agent_actions -- operator actions on one agent that only ask the agent and answer (docs in
/// Plugins/AgentActions/README.md). Nothing is stored: the agent is the source of truth and
/// the host already keeps what the agent reports on its own (services, software).
///
/// Routes (Tactical RMM's paths, bodies and answer strings):
///   GET    /agents/<agent_id>/ping/                      [can_list_agents]     online or offline, with the reason
///   POST   /agents/<agent_id>/cmd/                       [can_send_cmd]        {"cmd", "shell", "custom_shell", "timeout", "run_as_user"}
///   POST   /agents/<agent_id>/reboot/                    [can_reboot_agents]   reboot now
///   PATCH  /agents/<agent_id>/reboot/                    [can_reboot_agents]   {"datetime"}: a pending action until then
///   POST   /agents/<agent_id>/shutdown/                  [can_reboot_agents]
///   POST   /agents/<agent_id>/recover/                   [can_recover_agents]  {"mode": "mesh"}
///   POST   /agents/<agent_id>/wmi/                       [can_edit_agent]      refresh the WMI inventory
///   GET    /agents/<agent_id>/processes/                 [can_manage_procs]
///   DELETE /agents/<agent_id>/processes/<pid>/           [can_manage_procs]
///   GET    /agents/<agent_id>/eventlog/<logtype>/<days>/ [can_view_eventlogs]
///   GET  /services/<agent_id>/            [can_manage_winsvcs]  the agent's Windows services
///   GET  /services/<agent_id>/<svcname>/  [can_manage_winsvcs]  one service
///   POST /services/<agent_id>/<svcname>/  [can_manage_winsvcs]  {"sv_action": "start" | "stop" | "restart"}
///   PUT  /services/<agent_id>/<svcname>/  [can_manage_winsvcs]  {"startType": "auto" | "autodelay" | "manual" | "disabled"}
final class AgentActions: GarrisonPlugin {
    static let name: StaticString = "agent_actions"
    static let version: StaticString = "0.2.0"
    /// 1.2: call_set_timeout (a command waits as long as the operator allows) and the
    /// scheduled pending action (`not_before`).
    static let minHostMinor: UInt16 = 2

    let host: PluginHost

    init(host: PluginHost) throws {
        self.host = host
    }

    func register(_ r: Registrar) throws {
        try registerCommandRoutes(r)
        try registerInspectionRoutes(r)
        try registerServiceRoutes(r)
    }

    /// The agent named in the path, as the agent list renders it, if the caller's role may see
    /// it; 404 otherwise, so that a scoped operator cannot learn that it exists.
    func visibleAgent(_ req: PluginRequest) async throws -> JSON {
        let agentID = req.params["agent_id"] ?? ""
        let agent: JSON
        do { agent = try await host.coreObject(kindNamed: "agent_brief", id: agentID) } catch let error as PluginError
            where error.status == .notFound
        {
            throw PluginHTTPError(404, "No agent with id \(agentID).")
        }
        guard let client = agent["client"]?.intValue, req.roleScope.allows(clientID: client, siteID: agent["site"]?.intValue) else {
            throw PluginHTTPError(404, "No agent with id \(agentID).")
        }
        return agent
    }

    /// Sends a command and waits; an agent that cannot be reached is Tactical RMM's 400.
    func ask(_ agent: JSON, _ command: JSON, timeout: Int) async throws -> JSON {
        let agentID = agent["agent_id"]?.stringValue ?? ""
        do {
            return try await host.agentRequest(agentID: agentID, payload: command, timeout: .seconds(timeout))
        } catch let error as PluginError where [.timeout, .unavailable].contains(error.status) {
            throw PluginHTTPError(400, "Unable to contact the agent \(agent["hostname"]?.stringValue ?? agentID).")
        }
    }

    /// The request body as a JSON object; an empty body is {}.
    static func body(_ req: PluginRequest) throws -> [String: JSON] {
        if req.body.allSatisfy({ [0x20, 0x0A, 0x0D, 0x09].contains($0) }) { return [:] }
        let parsed: JSON
        do { parsed = try JSON(parsing: req.body) } catch let error as PluginError {
            throw PluginHTTPError(400, "JSON parse error - \(error.message)")
        }
        guard let object = parsed.objectValue else { throw PluginHTTPError(400, "The request body must be a JSON object.") }
        return object
    }
}
