import Foundation
import PluginKit

/// software -- installed software and Chocolatey (Plugins/Software/README.md): the inventory
/// each Windows agent sends, the operator's view of it, installs through Chocolatey and
/// uninstalls through the program's own uninstall string, with Tactical RMM's routes and texts.
///
/// Agent route (permission "agent"; the agent is the token's, a body agent_id must match):
///   POST /api/v3/software/                   {"agent_id","software":[SoftwareList]}
/// Operator routes (the agent's client/site scope applies; outside it, 404):
///   GET  /software/chocos/                   [authenticated]        the Chocolatey catalogue, or {}
///   GET  /software/                          [can_list_software]    every inventory the caller may see
///   GET  /software/<agent_id>/               [can_list_software]    one agent's inventory, or []
///   POST /software/<agent_id>/               [can_manage_software]  {"name"}: choco install (a pending action)
///   PUT  /software/<agent_id>/               [can_manage_software]  ask the agent for its inventory now
///   POST /software/<agent_id>/uninstall/     [can_manage_software and can_send_cmd]
///                                            {"name","command","timeout","run_as_user"}
/// Events: agent.checkin (a Windows agent without Chocolatey is told to install it),
/// agent.deleted (its inventory goes).
final class Software: GarrisonPlugin {
    static let name: StaticString = "software"
    static let version: StaticString = "0.1.0"
    /// 1.3: the tracked pending action of a Chocolatey install, the caller's permissions
    /// (uninstall needs two) and the agents' numeric keys in agent_targets.
    static let minHostMinor: UInt16 = 3

    let host: PluginHost

    init(host: PluginHost) throws {
        self.host = host
    }

    func register(_ r: Registrar) throws {
        try r.migration(version: 1, sql: Schema.v1)
        try registerInventoryRoutes(r)
        try registerChocolateyRoutes(r)
        try registerUninstallRoute(r)
        try r.subscribe("agent.checkin") { event in await self.checkedIn(event) }
        try r.subscribe("agent.deleted") { event in await self.agentDeleted(event) }
    }

    // MARK: agents

    /// What the plugin reads about an agent (core_get "agent_brief").
    struct Agent: Sendable, Decodable {
        let id: Int
        let agent_id: String
        let hostname: String
        let plat: String?
        let client: Int
        let site: Int

        /// The inventory, Chocolatey and uninstall strings are Windows things; Tactical RMM
        /// refuses the others by name.
        var isWindows: Bool { (plat ?? "windows") == "windows" }
        func requireWindows() throws {
            if !isWindows { throw PluginHTTPError(400, "Not available for \(plat ?? "")") }
        }
    }

    func loadAgent(_ agentID: String) async throws -> Agent? {
        try await host.coreObject(kindNamed: "agent_brief", id: agentID, as: Agent.self)
    }

    /// The agent named in the path, if the caller's role may see it; 404 otherwise, so that a
    /// scoped operator cannot learn that it exists.
    func visibleAgent(_ req: PluginRequest) async throws -> Agent {
        guard let agent = try await loadAgent(req.params["agent_id"] ?? ""),
            req.roleScope.allows(clientID: agent.client, siteID: agent.site)
        else {
            throw PluginHTTPError(404, "Not found.")
        }
        return agent
    }

    func agentDeleted(_ event: PluginEvent) async {
        guard let agentID = event.json["agent_id"]?.stringValue else { return }
        do { try await host.execute("DELETE FROM installed_software WHERE agent_id = $1", [agentID]) } catch {
            host.log(.warning, "could not drop the inventory of deleted agent \(agentID): \(error)")
        }
    }
}

extension PluginRequest {
    var username: String { principal["username"]?.stringValue ?? "" }

    /// The request body as a JSON object; an empty body is {}.
    func bodyObject() throws -> [String: JSON] {
        if body.allSatisfy({ [0x20, 0x0A, 0x0D, 0x09].contains($0) }) { return [:] }
        let parsed: JSON
        do { parsed = try JSON(parsing: body) } catch let error as PluginError {
            throw PluginHTTPError(400, "JSON parse error - \(error.message)")
        }
        guard let object = parsed.objectValue else { throw PluginHTTPError(400, "The request body must be a JSON object.") }
        return object
    }

    /// A required string field: Tactical RMM's views read it with request.data[...], so a
    /// missing one is a 400 naming the field.
    func requiredString(_ body: [String: JSON], _ field: String) throws -> String {
        guard let value = body[field]?.stringValue, !value.isEmpty else {
            throw PluginHTTPError(400, "Field '\(field)' is required and must be a non-empty string.")
        }
        return value
    }
}
