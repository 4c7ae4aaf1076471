import Foundation
import PluginKit

/// The operator's alert routes (Tactical RMM's alerts views; shapes in Plugins/Alerts/README.md).
/// Scope: an alert of an agent outside the caller's clients and sites does not exist for it
/// (absent from lists, 404 by id); alerts without an agent are visible to everyone, as there.
extension Alerts {
    static let list = "can_list_alerts", manage = "can_manage_alerts"
    static let notFound = "No Alert matches the given query."
    static let severities: Set<String> = ["info", "warning", "error"]
    static let types: Set<String> = ["availability", "check", "task", "custom"]
    static let snoozeDays = 1...3650
    /// Most ids one bulk call or one filter takes.
    static let maxListed = 10_000

    func registerRoutes(_ r: Registrar) throws {
        try r.route(.patch, "/alerts/", permission: Self.list) { req in try await self.query(req) }
        try r.route(.post, "/alerts/", permission: Self.manage) { req in try await self.create(req) }
        try r.route(.get, "/alerts/<pk>/", permission: Self.list) { req in try await self.getOne(req) }
        try r.route(.put, "/alerts/<pk>/", permission: Self.manage) { req in try await self.edit(req) }
        try r.route(.delete, "/alerts/<pk>/", permission: Self.manage) { req in try await self.remove(req) }
        try r.route(.post, "/alerts/bulk/", permission: Self.manage) { req in try await self.bulk(req) }
    }

    // MARK: reading the request

    /// The body as a JSON object; an empty body is {}.
    static func body(_ req: PluginRequest) throws -> [String: JSON] {
        if req.body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [:] }
        let parsed: JSON
        do { parsed = try JSON(parsing: req.body) } catch let error as PluginError {
            throw PluginHTTPError(400, "JSON parse error - \(error.message)")
        }
        guard let object = parsed.objectValue else { throw PluginHTTPError(400, "The request body must be a JSON object.") }
        return object
    }

    static func int(_ value: JSON, _ field: String, in range: ClosedRange<Int>) throws -> Int {
        guard let n = value.intValue else { throw BoundedInt.refusal(field, range) }
        return try BoundedInt.check(n, field, in: range)
    }

    static func ids(_ value: JSON, _ field: String) throws -> [Int] {
        guard let items = value.arrayValue, items.count <= maxListed else {
            throw PluginHTTPError(400, "\(field) must be a list of at most \(maxListed) ids.")
        }
        return try items.map { try int($0, "each of \(field)", in: BoundedInt.id) }
    }

    static func strings(_ value: JSON, _ field: String, allowed: Set<String>) throws -> [String] {
        guard let items = value.arrayValue, items.count <= maxListed else {
            throw PluginHTTPError(400, "\(field) must be a list of strings.")
        }
        return try items.map { item in
            guard let s = item.stringValue, allowed.contains(s) else {
                throw PluginHTTPError(400, "\(field): each must be one of \(allowed.sorted().joined(separator: ", ")).")
            }
            return s
        }
    }

    static func bool(_ value: JSON, _ field: String) throws -> Bool {
        guard let b = value.boolValue else { throw PluginHTTPError(400, "\(field) must be true or false.") }
        return b
    }

    /// A PostgreSQL array literal of `values`.
    static func array(_ values: [String]) -> String {
        "{"
            + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    static func array(_ values: [Int]) -> String { "{" + values.map(String.init).joined(separator: ",") + "}" }

    // MARK: scope

    /// The agent_ids the caller may see, or nil when it sees every agent.
    func visibleAgents(_ req: PluginRequest) async throws -> [String]? {
        let scope = req.roleScope
        if scope.isUnrestricted { return nil }
        var ids: Set<String> = []
        for target in scope.clients.map({ "client:\($0)" }) + scope.sites.map({ "site:\($0)" }) {
            do {
                let agents = try await host.coreObject(kind: .agents, id: target)
                ids.formUnion(agents.arrayValue?.compactMap(\.stringValue) ?? [])
            } catch let error as PluginError where error.status == .notFound { continue }
        }
        return ids.sorted()
    }

    /// The agent_ids of some clients or sites ("client" / "site").
    func agentsOf(_ kind: String, _ ids: [Int]) async throws -> [String] {
        var agents: Set<String> = []
        for id in Set(ids) {
            do {
                let list = try await host.coreObject(kind: .agents, id: "\(kind):\(id)")
                agents.formUnion(list.arrayValue?.compactMap(\.stringValue) ?? [])
            } catch let error as PluginError where error.status == .notFound { continue }
        }
        return agents.sorted()
    }

    /// One alert's row (its JSON and agent) if the caller may see it; 404 otherwise.
    func visibleAlert(_ req: PluginRequest) async throws -> (id: Int, json: JSON, agentID: String?) {
        let id = try req.intParam("pk")
        guard let row = try await host.queryRows("SELECT \(Rendering.alert) AS a, a.agent_id FROM alerts a WHERE a.id = $1", [id]).first,
            let json = row["a"]
        else { throw PluginHTTPError(404, Self.notFound) }
        let agentID = row["agent_id"]?.stringValue
        let scope = req.roleScope
        if let agentID, !scope.isUnrestricted {
            let agent: JSON
            do { agent = try await host.coreObject(kind: .agentBrief, id: agentID) } catch let error as PluginError
                where error.status == .notFound
            {
                throw PluginHTTPError(404, Self.notFound)
            }
            guard let client = agent["client"]?.intValue, scope.allows(clientID: client, siteID: agent["site"]?.intValue) else {
                throw PluginHTTPError(404, Self.notFound)
            }
        }
        return (id, json, agentID)
    }

    // MARK: PATCH /alerts/

    /// Tactical RMM's three modes: {"top": N} (the alerts icon: open, unsnoozed, shown alerts,
    /// oldest first, with their count); any of its filters (timeFilter, clientFilter,
    /// severityFilter, resolvedFilter, snoozedFilter) -> the matching alerts, newest first;
    /// anything else -> every alert. Garrison adds siteFilter, typeFilter (alert types) and
    /// paging (page, page_size; the total in X-Total-Count when with_count is true) to the
    /// filtered form. The total is asked for because it costs a scan of every matching alert
    /// (garrison-bench alerts: 13 ms of a 100,000-alert page's 20 ms), the page itself an index.
    func query(_ req: PluginRequest) async throws -> PluginResponse {
        let body = try Self.body(req)
        var conditions: [String] = []
        var params: [any Encodable & Sendable] = []
        func bind(_ value: any Encodable & Sendable) -> String { params.append(value); return "$\(params.count)" }
        if let visible = try await visibleAgents(req) {
            conditions.append("(a.agent_id IS NULL OR a.agent_id = ANY(\(bind(Self.array(visible)))::text[]))")
        }

        if let top = body["top"] {
            let n = try Self.int(top, "top", in: 0...1000)
            conditions += ["NOT a.resolved", "NOT a.snoozed", "NOT a.hidden"]
            let filter = conditions.joined(separator: " AND ")
            let limit = bind(n)
            let row = try await host.queryRows(
                """
                SELECT (SELECT count(*) FROM alerts a WHERE \(filter))::bigint AS n,
                       coalesce((SELECT jsonb_agg(x.j ORDER BY x.t, x.id) FROM (
                           SELECT \(Rendering.alert) AS j, a.alert_time AS t, a.id FROM alerts a WHERE \(filter)
                           ORDER BY a.alert_time, a.id LIMIT \(limit)) x), '[]'::jsonb) AS alerts
                """, params
            ).first
            return try .json(["alerts_count": row?["n"] ?? 0, "alerts": row?["alerts"] ?? []] as JSON)
        }

        let filterKeys = [
            "timeFilter", "clientFilter", "severityFilter", "resolvedFilter", "snoozedFilter", "siteFilter", "typeFilter", "page",
            "page_size", "with_count",
        ]
        var page: Int?
        var pageSize = 50
        var withCount = false
        if filterKeys.contains(where: { body[$0] != nil }) {
            if let days = body["timeFilter"] {
                conditions.append("a.alert_time >= now() - make_interval(days => \(bind(try Self.int(days, "timeFilter", in: 0...36500))))")
            }
            if let clients = body["clientFilter"] {
                let agents = try await agentsOf("client", try Self.ids(clients, "clientFilter"))
                conditions.append("a.agent_id = ANY(\(bind(Self.array(agents)))::text[])")
            }
            if let sites = body["siteFilter"] {
                let agents = try await agentsOf("site", try Self.ids(sites, "siteFilter"))
                conditions.append("a.agent_id = ANY(\(bind(Self.array(agents)))::text[])")
            }
            if let severities = body["severityFilter"] {
                conditions.append(
                    "a.severity = ANY(\(bind(Self.array(try Self.strings(severities, "severityFilter", allowed: Self.severities))))::text[])"
                )
            }
            if let types = body["typeFilter"] {
                conditions.append(
                    "a.alert_type = ANY(\(bind(Self.array(try Self.strings(types, "typeFilter", allowed: Self.types))))::text[])")
            }
            // false: only open / unsnoozed; true: no filter.
            if let resolved = body["resolvedFilter"], try !Self.bool(resolved, "resolvedFilter") { conditions.append("NOT a.resolved") }
            if let snoozed = body["snoozedFilter"], try !Self.bool(snoozed, "snoozedFilter") { conditions.append("NOT a.snoozed") }
            if let value = body["page_size"] { pageSize = try Self.int(value, "page_size", in: 1...1000); page = 1 }
            if let value = body["page"] { page = try Self.int(value, "page", in: 1...1_000_000) }
            if let value = body["with_count"] { withCount = try Self.bool(value, "with_count") }
        }
        let filter = conditions.isEmpty ? "true" : conditions.joined(separator: " AND ")
        var window = ""
        if let page { window = "LIMIT \(bind(pageSize)) OFFSET \(bind((page - 1) * pageSize))" }
        let row = try await host.queryRows(
            """
            SELECT \(page == nil || !withCount ? "NULL" : "(SELECT count(*) FROM alerts a WHERE \(filter))::bigint") AS n,
                   coalesce((SELECT jsonb_agg(x.j ORDER BY x.t DESC, x.id DESC) FROM (
                       SELECT \(Rendering.alert) AS j, a.alert_time AS t, a.id FROM alerts a WHERE \(filter)
                       ORDER BY a.alert_time DESC NULLS LAST, a.id DESC \(window)) x), '[]'::jsonb) AS alerts
            """, params
        ).first
        var response = try PluginResponse.json(row?["alerts"] ?? [])
        if page != nil, let total = row?["n"]?.intValue { response.headers["X-Total-Count"] = String(total) }
        return response
    }

    // MARK: /alerts/<pk>/

    /// The alert, with Garrison's `deliveries` (its notifications and how each went out).
    func getOne(_ req: PluginRequest) async throws -> PluginResponse {
        let alert = try await visibleAlert(req)
        guard case .object(var fields) = alert.json else { return try .json(alert.json) }
        fields["deliveries"] = try await deliveries(ofAlert: alert.id)
        return try .json(JSON.object(fields))
    }

    /// {"type": "resolve" | "snooze" (with snooze_days) | "unsnooze"}, or without type the
    /// fields an operator may set: severity, message, hidden.
    func edit(_ req: PluginRequest) async throws -> PluginResponse {
        let body = try Self.body(req)
        let alert = try await visibleAlert(req)
        if let type = body["type"] {
            switch type.stringValue {
            case "resolve": try await operatorChange(.resolve, ids: [alert.id], req: req, agentID: alert.agentID)
            case "snooze":
                guard let days = body["snooze_days"] else {
                    throw PluginHTTPError(400, "Missing 'snoozed_days' when trying to snooze alert")
                }
                try await operatorChange(
                    .snooze(try Self.int(days, "snooze_days", in: Self.snoozeDays)), ids: [alert.id], req: req, agentID: alert.agentID)
            case "unsnooze": try await operatorChange(.unsnooze, ids: [alert.id], req: req, agentID: alert.agentID)
            default: throw PluginHTTPError(400, "There was an error in the request data")
            }
            return try .json(JSON.string("ok"))
        }
        var severity: String?, message: JSON?, hidden: Bool?
        if let value = body["severity"] {
            guard let s = value.stringValue, Self.severities.contains(s) else {
                throw PluginHTTPError(400, "severity must be one of error, info, warning.")
            }
            severity = s
        }
        if let value = body["message"] {
            guard value.isNull || value.stringValue != nil else { throw PluginHTTPError(400, "message must be a string or null.") }
            message = value
        }
        if let value = body["hidden"] { hidden = try Self.bool(value, "hidden") }
        guard severity != nil || message != nil || hidden != nil else { return try .json(JSON.string("ok")) }
        let rows = try await host.queryRows(
            """
            WITH u AS (
                UPDATE alerts SET severity = coalesce($2, severity), message = CASE WHEN $3::boolean THEN $4 ELSE message END,
                                  hidden = coalesce($5::boolean, hidden)
                WHERE id = $1 RETURNING id, severity)
            INSERT INTO changes (alert_id, change, cause, username, severity) SELECT id, 'edited', 'operator', $6, severity FROM u
            RETURNING alert_id, id AS change_id, change AS change_kind
            """, [alert.id, severity, message != nil, message?.stringValue, hidden, req.username])
        try? host.audit(
            action: "alert.modify", username: req.username, agentID: alert.agentID, object: "alert:\(alert.id)", detail: .object(body))
        for row in rows { announce(row, agentID: alert.agentID) }
        return try .json(JSON.string("ok"))
    }

    func remove(_ req: PluginRequest) async throws -> PluginResponse {
        let alert = try await visibleAlert(req)
        try await host.execute("DELETE FROM alerts WHERE id = $1", [alert.id])
        try? host.audit(
            action: "alert.delete", username: req.username, agentID: alert.agentID, object: "alert:\(alert.id)", detail: alert.json)
        return try .json(JSON.string("ok"))
    }

    // MARK: POST /alerts/bulk/

    /// {"bulk_action": "resolve" | "snooze" | "unsnooze", "alerts": [pk], "snooze_days": N}:
    /// the alerts the caller may see among those named (the rest are left alone, as
    /// Tactical RMM's role filter does). unsnooze is Garrison's addition.
    func bulk(_ req: PluginRequest) async throws -> PluginResponse {
        let body = try Self.body(req)
        let action: Action
        switch body["bulk_action"]?.stringValue {
        case "resolve": action = .resolve
        case "unsnooze": action = .unsnooze
        case "snooze":
            guard let days = body["snooze_days"] else { throw PluginHTTPError(400, "The request was invalid") }
            action = .snooze(try Self.int(days, "snooze_days", in: Self.snoozeDays))
        default: throw PluginHTTPError(400, "The request was invalid")
        }
        let ids = try Self.ids(body["alerts"] ?? [], "alerts")
        try await operatorChange(action, ids: ids, req: req, agentID: nil, visible: try await visibleAgents(req))
        return try .json(JSON.string("ok"))
    }

    // MARK: changes by operators

    enum Action {
        case resolve, snooze(Int), unsnooze
    }

    /// Applies `action` to the alerts `ids` (only those of `visible` agents, or agentless, when
    /// given), records each change and announces it.
    func operatorChange(_ action: Action, ids: [Int], req: PluginRequest, agentID: String?, visible: [String]? = nil) async throws {
        if ids.isEmpty { return }
        let set: String, only: String, kind: String
        var params: [any Encodable & Sendable] = [Self.array(ids), req.username]
        switch action {
        case .resolve:
            (set, only, kind) = ("resolved = true, resolved_on = now(), snoozed = false, snooze_until = NULL", "NOT resolved", "resolved")
        case .snooze(let days):
            params.append(days)
            (set, only, kind) = ("snoozed = true, snooze_until = now() + make_interval(days => $3)", "true", "snoozed")
        case .unsnooze:
            (set, only, kind) = ("snoozed = false, snooze_until = NULL", "snoozed", "unsnoozed")
        }
        var scope = ""
        if let visible {
            params.append(Self.array(visible))
            scope = "AND (agent_id IS NULL OR agent_id = ANY($\(params.count)::text[]))"
        }
        let rows = try await host.queryRows(
            """
            WITH u AS (UPDATE alerts SET \(set) WHERE id = ANY($1::bigint[]) AND \(only) \(scope) RETURNING id, severity, agent_id)
            INSERT INTO changes (alert_id, change, cause, username, severity) SELECT id, '\(kind)', 'operator', $2, severity FROM u
            RETURNING alert_id, id AS change_id, change AS change_kind
            """, params)
        try? host.audit(
            action: "alert.\(kind)", username: req.username, agentID: agentID, object: ids.count == 1 ? "alert:\(ids[0])" : "alerts",
            detail: ["alerts": .array(ids.map { .number(Double($0)) })])
        for row in rows { announce(row, agentID: agentID) }
    }
}
