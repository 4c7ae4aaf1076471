import MeshCentralCore
import PluginKit

/// What Tactical RMM asks MeshCentral to do to one device: wake it (POST /agents/<agent_id>/wol/,
/// `wakedevices`) and forget it when its agent is deleted (`removedevices`). Both are sent
/// without an answer of their own, as Tactical RMM sends them; a `users` round trip after the
/// command makes sure MeshCentral took it before the socket closes, so a failure is seen here
/// instead of lost.
extension MeshCentral {
    func registerDevices(_ r: Registrar) throws {
        try r.route(.post, "/agents/<agent_id>/wol/", permission: "can_send_wol") { req in
            try await self.mapped { try await self.wakeOnLAN(req) }
        }
    }

    /// Sends `command` on a socket of its own and waits until MeshCentral has read it.
    func sendCommand(_ command: JSON, site: MeshSite) async throws {
        _ = try await control.session(url: try controlSocketURL(site), timeout: timeout) { connection in
            try await connection.send(command)
            // MeshCentral handles a socket's frames in order: this answer comes after the command was taken.
            return try await connection.request(["action": "users", "responseid": "meshctrl"])["action"]?.stringValue ?? ""
        }
    }

    /// POST /agents/<agent_id>/wol/: MeshCentral wakes the device (its other agents on the same
    /// network send the magic packet).
    func wakeOnLAN(_ req: PluginRequest) async throws -> PluginResponse {
        let (_, agent) = try await visibleAgent(req)
        let site = try await site()
        let node = agent["mesh_node_id"]?.stringValue ?? ""
        guard let meshNode = MeshIDs.meshNodeID(fromHex: node), !node.isEmpty else { throw PluginHTTPError(400, "Missing mesh node id") }
        try await sendCommand(
            ["action": "wakedevices", "nodeids": [.string("node//\(meshNode)")], "responseid": "trmm"] as JSON, site: site)
        let hostname = agent["hostname"]?.stringValue ?? ""
        return try .json(JSON.string("Wake-on-LAN sent to \(hostname)"))
    }

    /// agent.deleted: the device leaves MeshCentral too, as Tactical RMM's agent delete does.
    /// The agent's row is gone, so the node id comes with the event. A failure is logged (the
    /// agent is deleted either way); the device then stays in MeshCentral, where an
    /// administrator can remove it.
    func removeDevice(_ event: PluginEvent) async {
        let agentID = event.json["agent_id"]?.stringValue ?? ""
        guard let hex = event.json["mesh_node_id"]?.stringValue, let meshNode = MeshIDs.meshNodeID(fromHex: hex), !hex.isEmpty else {
            return
        }
        let site: MeshSite
        do { site = try await self.site() } catch { return }
        do {
            try await sendCommand(["action": "removedevices", "nodeids": [.string("node//\(meshNode)")], "responseid": "trmm"] as JSON, site: site)
            host.log(.info, "removed the MeshCentral device of deleted agent \(agentID)")
        } catch {
            host.log(.warning, "could not remove the MeshCentral device of deleted agent \(agentID): \(error)")
        }
    }
}
