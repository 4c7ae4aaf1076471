import Foundation
import PluginKit

/// The installed-software inventory: what the agent sends on its own (at service start and
/// about hourly), what an operator asks for now, and the views of it.
extension Software {
    func registerInventoryRoutes(_ r: Registrar) throws {
        try r.route(.post, "/api/v3/software/", permission: "agent") { req in try await self.agentInventory(req) }
        try r.route(.get, "/software/", permission: "can_list_software") { req in try await self.allInventories(req) }
        try r.route(.get, "/software/<agent_id>/", permission: "can_list_software") { req in
            let agent = try await self.visibleAgent(req)
            let rows = try await self.host.queryJSON(
                "SELECT \(Self.rendered) AS j FROM installed_software WHERE agent_id = $1", [agent.agent_id])
            // Tactical RMM answers [] (not 404) for an agent that never sent an inventory.
            return Self.raw(try JSON(parsing: rows).arrayValue?.first?["j"]?.stringValue ?? "[]")
        }
        try r.route(.put, "/software/<agent_id>/", permission: "can_manage_software") { req in
            let agent = try await self.visibleAgent(req)
            try agent.requireWindows()
            let reply: JSON
            do {
                reply = try await self.host.agentRequest(agentID: agent.agent_id, payload: ["func": "softwarelist"] as JSON, timeout: .seconds(15))
            } catch let error as PluginError where [.timeout, .unavailable].contains(error.status) {
                throw PluginHTTPError(400, "Unable to contact the agent")
            }
            let software = try Self.softwareList(reply, field: "the agent's softwarelist answer")
            try await self.store(software, agent: agent)
            return try .json(JSON.string("ok"))
        }
    }

    /// One InstalledSoftware object, built by PostgreSQL: an inventory of thousands of programs
    /// is never parsed into a tree here.
    static let object = "json_build_object('id', id, 'software', software, 'agent', agent_pk)"
    static let rendered = object + "::text"

    static func raw(_ json: String) -> PluginResponse {
        PluginResponse(status: 200, contentType: "application/json", body: Data(json.utf8))
    }

    /// `POST /api/v3/software/`: the inventory replaces the agent's last one.
    func agentInventory(_ req: PluginRequest) async throws -> PluginResponse {
        guard req.principal["kind"]?.stringValue == "agent", let agentID = req.principal["agent_id"]?.stringValue else {
            throw PluginHTTPError(401, "Authentication credentials were not provided.")
        }
        let body = try req.bodyObject()
        if let claimed = body["agent_id"], claimed.stringValue != agentID {
            throw PluginHTTPError(403, "agent_id does not match the token.")
        }
        let software = try Self.softwareList(body["software"] ?? .null, field: "software")
        guard let agent = try await loadAgent(agentID) else { throw PluginHTTPError(404, "Not found.") }
        try await store(software, agent: agent)
        return try .json(JSON.string("ok"))
    }

    /// A SoftwareList array: objects of strings (name, version, publisher, install_date, size,
    /// source, location, uninstall), as agent 2.9.1 sends them. Anything else is refused
    /// whole, so a broken agent cannot replace a good inventory with garbage.
    static func softwareList(_ value: JSON, field: String) throws -> JSON {
        guard let items = value.arrayValue else { throw PluginHTTPError(400, "\(field) must be a list of programs.") }
        for (index, item) in items.enumerated() {
            guard let object = item.objectValue, object.values.allSatisfy({ $0.stringValue != nil || $0 == .null }) else {
                throw PluginHTTPError(400, "\(field)[\(index)] must be an object of strings (name, version, publisher, ...).")
            }
        }
        return value
    }

    func store(_ software: JSON, agent: Agent) async throws {
        try await host.execute(
            """
            INSERT INTO installed_software (agent_id, agent_pk, software) VALUES ($1, $2, $3::jsonb)
            ON CONFLICT (agent_id) DO UPDATE SET software = EXCLUDED.software, agent_pk = EXCLUDED.agent_pk, modified_time = now()
            """, [agent.agent_id, agent.id, software.jsonText])
    }

    /// `GET /software/`: every inventory of an agent the caller's role may see.
    func allInventories(_ req: PluginRequest) async throws -> PluginResponse {
        let scope = req.roleScope
        var visible: [String] = []
        if !scope.isUnrestricted {
            struct Target: Decodable {
                let agent_id: String
                let client_id: Int
                let site_id: Int
            }
            let targets = try JSONDecoder().decode([Target].self, from: try await host.coreData(kindNamed: "agent_targets", id: "all"))
            visible = targets.filter { scope.allows(clientID: $0.client_id, siteID: $0.site_id) }.map(\.agent_id)
        }
        let rows = try await host.queryJSON(
            """
            SELECT coalesce(json_agg(\(Self.object) ORDER BY id), '[]')::text AS j FROM installed_software
            WHERE $1::boolean OR agent_id IN (SELECT jsonb_array_elements_text($2::jsonb))
            """, [scope.isUnrestricted, JSON.array(visible.map(JSON.string)).jsonText])
        return Self.raw(try JSON(parsing: rows).arrayValue?.first?["j"]?.stringValue ?? "[]")
    }
}
