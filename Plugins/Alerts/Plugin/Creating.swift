import PluginKit

/// POST /alerts/: an operator's (or an API client's) own alert. Tactical RMM takes any Alert
/// fields; here those of a custom alert: `alert_type` ("custom"), `message`, `severity`
/// (default info, as Tactical RMM's model), `hidden`, and `agent` (the agent's pk, or null for
/// an agentless alert). An agent outside the caller's role scope is a 404, as one that does
/// not exist. Check, task and availability alerts come from events, so other types are
/// refused, as is any other field (docs/compatibility.md, "Alerts"). Recorded as a change
/// `raised` with cause `operator`, and announced as alert.raised; no notification is written
/// (Tactical RMM sends none for a created alert either).
extension Alerts {
    static let creatable: Set<String> = ["alert_type", "message", "severity", "hidden", "agent"]

    func create(_ req: PluginRequest) async throws -> PluginResponse {
        let body = try Self.body(req)
        if let unknown = body.keys.sorted().first(where: { !Self.creatable.contains($0) }) {
            throw PluginHTTPError(400, "\(unknown): not a field of an alert that can be created (alert_type, message, severity, hidden, agent).")
        }
        if let type = body["alert_type"], type.stringValue != "custom" {
            throw PluginHTTPError(400, "alert_type: only \"custom\" alerts are created (availability, check and task alerts come from events).")
        }
        var severity = "info"
        if let value = body["severity"] {
            guard let s = value.stringValue, Self.severities.contains(s) else { throw PluginHTTPError(400, "severity must be one of error, info, warning.") }
            severity = s
        }
        var message: String?
        if let value = body["message"], !value.isNull {
            guard let text = value.stringValue else { throw PluginHTTPError(400, "message must be a string or null.") }
            guard text.utf8.count <= 65_536 else { throw PluginHTTPError(400, "message: longer than 65536 bytes.") }
            message = text
        }
        let hidden = try body["hidden"].map { try Self.bool($0, "hidden") } ?? false
        // Last: the agent's lookup reads every agent's target, not worth it for a refused body.
        var agent: (pk: Int, agentID: String, brief: JSON)?
        if let value = body["agent"], !value.isNull {
            guard case .number = value, let pk = value.intValue, pk > 0 else {
                throw PluginHTTPError(400, "agent must be an agent's id (a positive integer) or null.")
            }
            let (agentID, brief) = try await alertAgent(pk: pk, req)
            agent = (pk, agentID, brief)
        }
        let names = agent.map { Self.names($0.brief) }
        let rows = try await host.queryRows(
            """
            WITH a AS (
                INSERT INTO alerts (alert_type, severity, message, hidden, agent_pk, agent_id, hostname, client_id, client_name, site_id, site_name)
                VALUES ('custom', $1, $2, $3::boolean, $5, $6, $7, $8, $9, $10, $11) RETURNING id, severity)
            INSERT INTO changes (alert_id, change, cause, username, severity) SELECT id, 'raised', 'operator', $4, severity FROM a
            RETURNING alert_id, id AS change_id, change AS change_kind
            """,
            [
                severity, message, hidden, req.username, agent?.pk, agent?.agentID, names?.hostname, agent?.brief["client"]?.intValue,
                names?.client, agent?.brief["site"]?.intValue, names?.site,
            ])
        guard let row = rows.first, let id = row["alert_id"]?.intValue else { throw PluginHTTPError(500, "internal error") }
        try? host.audit(action: "alert.create", username: req.username, object: "alert:\(id)", detail: .object(body), ip: req.sourceIP)
        announce(row, agentID: agent?.agentID)
        return try .json(JSON.string("ok"))
    }

    /// The agent with primary key `pk` if the caller's role reaches it. Core objects are named
    /// by agent_id, so the pk is looked up among the agents' targets (a rare route: one list).
    func alertAgent(pk: Int, _ req: PluginRequest) async throws -> (agentID: String, brief: JSON) {
        let notFound = PluginHTTPError(404, "agent: no agent with id \(pk).")
        let targets = try await host.coreObject(kindNamed: "agent_targets", id: "all").arrayValue ?? []
        guard let agentID = targets.first(where: { $0["id"]?.intValue == pk })?["agent_id"]?.stringValue else { throw notFound }
        let agent: JSON
        do { agent = try await host.coreObject(kind: .agentBrief, id: agentID) } catch let error as PluginError where error.status == .notFound {
            throw notFound
        }
        let scope = req.roleScope
        if !scope.isUnrestricted {
            guard let client = agent["client"]?.intValue, scope.allows(clientID: client, siteID: agent["site"]?.intValue) else { throw notFound }
        }
        return (agentID, agent)
    }
}
