import PluginKit

/// POST /alerts/: an operator's (or an API client's) own alert. Tactical RMM takes any Alert
/// fields; here the fields of an agentless custom alert: `alert_type` ("custom"), `message`,
/// `severity` (default info, as Tactical RMM's model), `hidden`. Alerts of an agent are the
/// events' (its checks, tasks and status), so `agent` other than null is refused, naming it,
/// as is any other field (docs/compatibility.md, "Alerts"). Recorded as a change `raised`
/// with cause `operator`, and announced as alert.raised; no notification is written (Tactical
/// RMM sends none for a created alert either).
extension Alerts {
    static let creatable: Set<String> = ["alert_type", "message", "severity", "hidden", "agent"]

    func create(_ req: PluginRequest) async throws -> PluginResponse {
        let body = try Self.body(req)
        if let unknown = body.keys.sorted().first(where: { !Self.creatable.contains($0) }) {
            throw PluginHTTPError(400, "\(unknown): not a field of an alert that can be created (alert_type, message, severity, hidden).")
        }
        if let agent = body["agent"], !agent.isNull {
            throw PluginHTTPError(400, "agent: alerts of an agent are raised by its checks, tasks and status; only agentless (custom) alerts are created.")
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
        let rows = try await host.queryRows(
            """
            WITH a AS (INSERT INTO alerts (alert_type, severity, message, hidden) VALUES ('custom', $1, $2, $3::boolean) RETURNING id, severity)
            INSERT INTO changes (alert_id, change, cause, username, severity) SELECT id, 'raised', 'operator', $4, severity FROM a
            RETURNING alert_id, id AS change_id, change AS change_kind
            """, [severity, message, hidden, req.username])
        guard let row = rows.first, let id = row["alert_id"]?.intValue else { throw PluginHTTPError(500, "internal error") }
        try? host.audit(action: "alert.create", username: req.username, object: "alert:\(id)", detail: .object(body), ip: req.sourceIP)
        announce(row, agentID: nil)
        return try .json(JSON.string("ok"))
    }
}
