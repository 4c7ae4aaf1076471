import Foundation
import PluginKit

/// Installs through Chocolatey: the catalogue the dashboard offers, the install itself (a
/// pending action the agent completes with its chocoresult), and Chocolatey on agents that
/// lack it.
extension Software {
    func registerChocolateyRoutes(_ r: Registrar) throws {
        try r.route(.get, "/software/chocos/", permission: "authenticated") { _ in
            let rows = try await self.host.queryJSON("SELECT chocos::text AS j FROM choco_catalogue WHERE id = 1")
            // {} (not []) when none is loaded, as Tactical RMM answers.
            return Self.raw(try JSON(parsing: rows).arrayValue?.first?["j"]?.stringValue ?? "{}")
        }
        try r.route(.post, "/software/<agent_id>/", permission: "can_manage_software") { req in try await self.install(req) }
    }

    /// `POST /software/<agent_id>/` {"name"}: the agent answers at once and installs in the
    /// background (up to 20 minutes); the host keeps the pending action and sends its id, and
    /// the agent's chocoresult completes it with the output.
    func install(_ req: PluginRequest) async throws -> PluginResponse {
        let agent = try await visibleAgent(req)
        try agent.requireWindows()
        let name = try req.requiredString(try req.bodyObject(), "name")
        guard Self.isPackageName(name) else {
            throw PluginHTTPError(400, "Field 'name' must be a Chocolatey package id: letters, digits, '.', '-' and '_' only.")
        }
        let command: JSON = [
            "func": "installwithchoco", "choco_prog_name": .string(name),
            "_options": [
                "pending_action_key": "pending_action_pk", "action_type": "chocoinstall", "username": .string(req.username),
                "details": ["name": .string(name), "output": .null, "installed": false],
            ],
        ]
        let envelope = try await host.agentRequest(agentID: agent.agent_id, payload: command)
        guard envelope["status"]?.stringValue == "ok" else { throw PluginHTTPError(400, "Unable to contact the agent") }
        try? host.audit(
            action: "agent_install", username: req.username, agentID: agent.agent_id, object: "agent",
            detail: ["message": .string("Installing \(name) with Chocolatey on \(agent.hostname)")], ip: req.sourceIP)
        return try .json(
            JSON.string(
                "\(name) will be installed shortly on \(agent.hostname). Check the Pending Actions menu to see the status/output"))
    }

    /// A package id as chocolatey.org names them. The agent passes the name to `choco install`
    /// as one argument, but a name that is not an id can only be a typo or an attempt to smuggle
    /// options ("--source=..."), so it is refused here.
    static func isPackageName(_ name: String) -> Bool {
        guard (1...100).contains(name.utf8.count), let first = name.utf8.first, first != UInt8(ascii: "-") else { return false }
        return name.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || [0x2E, 0x2D, 0x5F].contains(byte)
        }
    }

    /// A Windows agent that starts without Chocolatey is told to install it, as Tactical RMM's
    /// check-in does; the agent reports the outcome with POST /api/v3/choco/.
    func checkedIn(_ event: PluginEvent) async {
        guard let agentID = event.json["agent_id"]?.stringValue else { return }
        do {
            let agent = try await host.coreObject(kindNamed: "agent", id: agentID)
            guard (agent["plat"]?.stringValue ?? "windows") == "windows", agent["choco_installed"]?.boolValue == false else { return }
            try host.agentSend(agentID: agentID, payload: ["func": "installchoco"] as JSON)
        } catch {
            host.log(.warning, "check-in of \(agentID): could not ask for Chocolatey: \(error)")
        }
    }
}
