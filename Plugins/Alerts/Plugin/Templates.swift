import Foundation
import PluginKit

/// Alert templates (Plugins/Alerts/README.md, "Alert templates"): Tactical RMM's
/// /alerts/templates/ routes, where templates are assigned, and which one applies to an agent.
///
/// Where assignments live: a policy's alert_template is the host's (it stores the field with
/// the policy, and the plugin reads it through core_get "policy"); the global default, clients'
/// and sites' templates are kept in this plugin's `assignments` table and set through
/// PUT /alerts/assignments/, so the host carries no alerting fields of its own.
extension Alerts {
    static let listTemplates = "can_list_alerttemplates", manageTemplates = "can_manage_alerttemplates"
    static let templateNotFound = "No AlertTemplate matches the given query."

    func registerTemplateRoutes(_ r: Registrar) throws {
        try r.route(.get, "/alerts/templates/", permission: Self.listTemplates) { req in try await self.templateList(req) }
        try r.route(.post, "/alerts/templates/", permission: Self.manageTemplates) { req in try await self.templateCreate(req) }
        try r.route(.get, "/alerts/templates/<pk>/", permission: Self.listTemplates) { req in try await self.templateGet(req) }
        try r.route(.put, "/alerts/templates/<pk>/", permission: Self.manageTemplates) { req in try await self.templateEdit(req) }
        try r.route(.delete, "/alerts/templates/<pk>/", permission: Self.manageTemplates) { req in try await self.templateDelete(req) }
        try r.route(.get, "/alerts/templates/<pk>/related/", permission: Self.listTemplates) { req in try await self.templateRelated(req) }
        try r.route(.get, "/alerts/assignments/", permission: Self.listTemplates) { req in try await self.assignmentList(req) }
        try r.route(.put, "/alerts/assignments/", permission: Self.manageTemplates) { req in try await self.assign(req) }
        try r.subscribe("core.policy.changed") { event in await self.policyChanged(event) }
        try r.subscribe("core.policy.deleted") { event in await self.policyDeleted(event) }
    }

    // MARK: reading templates

    struct TemplateRow: Decodable, Sendable {
        let id: Int
        let name: String
        let fields: JSON
        let created_by: String
        let created_time: String
        let modified_by: String
        let modified_time: String
        let is_default: Bool
        let applied_count: Int
    }

    static let templateColumns = """
        t.id, t.name, t.fields, t.created_by, to_char(t.created_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_time,
        t.modified_by, to_char(t.modified_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS modified_time,
        EXISTS (SELECT 1 FROM assignments x WHERE x.template_id = t.id AND x.target = 'default') AS is_default,
        ((SELECT count(*) FROM assignments x WHERE x.template_id = t.id AND x.target <> 'default')
         + (SELECT count(*) FROM policy_templates p WHERE p.template_id = t.id))::int AS applied_count
        """

    func templateRows(id: Int? = nil) async throws -> [TemplateRow] {
        if let id { return try await host.query("SELECT \(Self.templateColumns) FROM templates t WHERE t.id = $1", [id]) }
        return try await host.query("SELECT \(Self.templateColumns) FROM templates t ORDER BY t.name, t.id")
    }

    /// The stored fields over the defaults (a field added later gets its default).
    static func fields(_ row: TemplateRow) -> [String: JSON] {
        TemplateFields.defaults.merging(row.fields.objectValue ?? [:]) { _, stored in stored }
    }

    /// Tactical RMM's AlertTemplate: the columns, audit fields and computed fields.
    func render(_ row: TemplateRow, computed: Bool = true) async -> JSON {
        var out = Self.fields(row)
        out["id"] = .number(Double(row.id))
        out["name"] = .string(row.name)
        out["created_by"] = .string(row.created_by)
        out["created_time"] = .string(row.created_time)
        out["modified_by"] = .string(row.modified_by)
        out["modified_time"] = .string(row.modified_time)
        guard computed else { return .object(out) }
        out.merge(TemplateFields.computed(out)) { _, new in new }
        out["default_template"] = .bool(row.is_default)
        out["applied_count"] = .number(Double(row.applied_count))
        out["action_name"] = .string(await actionName(out, ""))
        out["resolved_action_name"] = .string(await actionName(out, "resolved_"))
        return .object(out)
    }

    /// The script's name for a script action (asked of the scripting plugin's table through
    /// the host is not possible: Garrison answers the id's text "" as Tactical RMM does when
    /// nothing is set, and the name when the script is known to the scripting plugin).
    func actionName(_ f: [String: JSON], _ prefix: String) async -> String { "" }

    func template(_ req: PluginRequest) async throws -> TemplateRow {
        let id = try req.intParam("pk")
        guard let row = try await templateRows(id: id).first else { throw PluginHTTPError(404, Self.templateNotFound) }
        return row
    }

    func templateList(_ req: PluginRequest) async throws -> PluginResponse {
        var out: [JSON] = []
        for row in try await templateRows() { out.append(await render(row)) }
        return try .json(JSON.array(out))
    }

    func templateGet(_ req: PluginRequest) async throws -> PluginResponse {
        try .json(await render(try await template(req)))
    }

    // MARK: writing templates

    static func refuseServerActions(_ fields: [String: JSON]) throws {
        for key in ["action_type", "resolved_action_type"] where fields[key]?.stringValue == "server" {
            throw PluginHTTPError(
                400, "\(key): server actions are not run by Garrison (no scripts on the server); use script or rest.")
        }
    }

    func templateCreate(_ req: PluginRequest) async throws -> PluginResponse {
        let body = try Self.body(req)
        let (name, fields) = try TemplateFields.apply(body, to: TemplateFields.defaults)
        guard let name else { throw PluginHTTPError(400, "name is required: a non-empty string of at most 100 characters.") }
        try Self.refuseServerActions(fields)
        let row = try await host.queryRows(
            "INSERT INTO templates (name, fields, created_by, modified_by) VALUES ($1, $2::jsonb, $3, $3) RETURNING id",
            [name, Self.jsonText(.object(fields)), req.username]
        ).first
        try? host.audit(
            action: "alerttemplate.add", username: req.username, agentID: nil, object: "alerttemplate:\(row?["id"]?.intValue ?? 0)",
            detail: ["name": .string(name)])
        return try .json(JSON.string("ok"))
    }

    func templateEdit(_ req: PluginRequest) async throws -> PluginResponse {
        let body = try Self.body(req)
        let row = try await template(req)
        try await requireTemplateInScope(row.id, req)
        let (name, fields) = try TemplateFields.apply(body, to: Self.fields(row))
        try Self.refuseServerActions(fields)
        try await host.execute(
            "UPDATE templates SET name = coalesce($2, name), fields = $3::jsonb, modified_by = $4, modified_time = now() WHERE id = $1",
            [row.id, name, Self.jsonText(.object(fields)), req.username])
        try? host.audit(
            action: "alerttemplate.modify", username: req.username, agentID: nil, object: "alerttemplate:\(row.id)", detail: .object(body))
        return try .json(JSON.string("ok"))
    }

    func templateDelete(_ req: PluginRequest) async throws -> PluginResponse {
        let row = try await template(req)
        try await requireTemplateInScope(row.id, req)
        try await host.execute("DELETE FROM templates WHERE id = $1", [row.id])
        try? host.audit(
            action: "alerttemplate.delete", username: req.username, agentID: nil, object: "alerttemplate:\(row.id)",
            detail: ["name": .string(row.name)])
        return try .json(JSON.string("ok"))
    }

    // MARK: scope

    struct Assignment: Decodable, Sendable {
        let target: String
        let target_id: Int
        let template_id: Int
    }

    /// A role limited to some clients may change a template only when everything it reaches
    /// is inside that scope (docs/compatibility.md, the rule for policies): not the global
    /// default, only its own clients and sites, and only policies that reach nothing else.
    func requireTemplateInScope(_ id: Int, _ req: PluginRequest) async throws {
        let scope = req.roleScope
        if scope.isUnrestricted { return }
        let assigned: [Assignment] = try await host.query("SELECT target, target_id, template_id FROM assignments WHERE template_id = $1", [id])
        for a in assigned {
            let inside: Bool
            switch a.target {
            case "client": inside = scope.clients.contains(a.target_id)
            case "site": inside = try await siteClient(a.target_id).map { scope.allows(clientID: $0, siteID: a.target_id) } ?? true
            default: inside = false
            }
            if !inside {
                let place = a.target == "default" ? "every agent (it is the global default)" : "\(a.target) \(a.target_id)"
                throw PluginHTTPError(
                    403,
                    "Alert template \(id) applies to \(place), which is outside your scope; only a role that sees everything it reaches may change it."
                )
            }
        }
        let policies = try await host.queryRows("SELECT policy_id FROM policy_templates WHERE template_id = $1", [id])
        for p in policies.compactMap({ $0["policy_id"]?.intValue }) {
            do { try await host.requirePolicyInScope(p, caller: req) } catch let error as PluginHTTPError where error.status == 404 {
                continue
            }
        }
    }

    /// The client of a site, nil when the site does not exist.
    func siteClient(_ site: Int) async throws -> Int? {
        do { return try await host.coreObject(kind: .site, id: String(site))["client"]?.intValue } catch let error as PluginError
            where error.status == .notFound
        {
            return nil
        }
    }

    // MARK: related

    /// The template's columns and the policies, clients and sites it is assigned to; for a
    /// role limited to some clients, only those inside its scope.
    func templateRelated(_ req: PluginRequest) async throws -> PluginResponse {
        let row = try await template(req)
        let scope = req.roleScope
        guard case .object(var out) = await render(row, computed: false) else { return try .json(JSON.null) }
        let assigned: [Assignment] = try await host.query(
            "SELECT target, target_id, template_id FROM assignments WHERE template_id = $1 AND target <> 'default' ORDER BY target_id", [row.id])
        var clients: [JSON] = [], sites: [JSON] = []
        for a in assigned {
            do {
                if a.target == "client" {
                    guard scope.isUnrestricted || scope.clients.contains(a.target_id) else { continue }
                    var c = try await host.coreObject(kind: .client, id: String(a.target_id)).objectValue ?? [:]
                    c["sites"] = nil
                    c["custom_fields"] = nil
                    c["agent_count"] = nil
                    c["alert_template"] = .number(Double(row.id))
                    clients.append(.object(c))
                } else {
                    var s = try await host.coreObject(kind: .site, id: String(a.target_id)).objectValue ?? [:]
                    guard let client = s["client"]?.intValue, scope.allows(clientID: client, siteID: a.target_id) else { continue }
                    s["custom_fields"] = nil
                    s["agent_count"] = nil
                    s["alert_template"] = .number(Double(row.id))
                    sites.append(.object(s))
                }
            } catch let error as PluginError where error.status == .notFound { continue }
        }
        var policies: [JSON] = []
        for p in try await host.queryRows("SELECT policy_id FROM policy_templates WHERE template_id = $1 ORDER BY policy_id", [row.id])
            .compactMap({ $0["policy_id"]?.intValue })
        {
            do {
                let policy = try await host.coreObject(kind: .policy, id: String(p))
                guard policy["alert_template"]?.intValue == row.id else { continue }
                if !scope.isUnrestricted {
                    do { try await host.requirePolicyInScope(p, caller: req) } catch { continue }
                }
                policies.append(policy)
            } catch let error as PluginError where error.status == .notFound { continue }
        }
        out["policies"] = .array(policies)
        out["clients"] = .array(clients)
        out["sites"] = .array(sites)
        return try .json(JSON.object(out))
    }

    // MARK: assignments (Garrison's: Tactical RMM keeps these fields on clients, sites and core settings)

    /// {"default": pk|null, "clients": [{"client", "name", "alert_template"}], "sites": [{"site", "name",
    /// "client", "client_name", "alert_template"}]}:
    /// for a role limited to some clients, only its own clients and sites.
    func assignmentList(_ req: PluginRequest) async throws -> PluginResponse {
        let scope = req.roleScope
        let rows: [Assignment] = try await host.query("SELECT target, target_id, template_id FROM assignments ORDER BY target, target_id")
        var clients: [JSON] = [], sites: [JSON] = []
        var fallback: JSON = .null
        for a in rows {
            switch a.target {
            case "default": fallback = .number(Double(a.template_id))
            case "client":
                guard scope.isUnrestricted || scope.clients.contains(a.target_id) else { continue }
                let name = try? await host.coreObject(kind: .client, id: String(a.target_id))["name"]
                clients.append(
                    ["client": .number(Double(a.target_id)), "name": name ?? .null, "alert_template": .number(Double(a.template_id))])
            default:
                guard let site = try? await host.coreObject(kind: .site, id: String(a.target_id)), let client = site["client"]?.intValue,
                    scope.allows(clientID: client, siteID: a.target_id)
                else { continue }
                sites.append(
                    [
                        "site": .number(Double(a.target_id)), "name": site["name"] ?? .null, "client": .number(Double(client)),
                        "client_name": site["client_name"] ?? .null, "alert_template": .number(Double(a.template_id)),
                    ])
            }
        }
        return try .json(["default": fallback, "clients": .array(clients), "sites": .array(sites)] as JSON)
    }

    /// One of {"default": pk|null}, {"client": pk, "alert_template": pk|null},
    /// {"site": pk, "alert_template": pk|null}. The global default needs a role that sees
    /// every client; a client or site outside the caller's scope does not exist for it.
    func assign(_ req: PluginRequest) async throws -> PluginResponse {
        let body = try Self.body(req)
        let target: String, targetID: Int, value: JSON?
        if let v = body["default"] {
            (target, targetID, value) = ("default", 0, v)
            guard req.roleScope.isUnrestricted else {
                throw PluginHTTPError(403, "The global default alert template applies to every client; only a role that sees every client may set it.")
            }
        } else if let c = body["client"] {
            (target, targetID, value) = ("client", try Self.int(c, "client", in: BoundedInt.id), body["alert_template"])
            do { _ = try await host.coreObject(kind: .client, id: String(targetID)) } catch let error as PluginError
                where error.status == .notFound
            {
                throw PluginHTTPError(404, "No Client matches the given query.")
            }
            guard req.roleScope.isUnrestricted || req.roleScope.clients.contains(targetID) else {
                throw PluginHTTPError(404, "No Client matches the given query.")
            }
        } else if let s = body["site"] {
            (target, targetID, value) = ("site", try Self.int(s, "site", in: BoundedInt.id), body["alert_template"])
            guard let client = try await siteClient(targetID), req.roleScope.allows(clientID: client, siteID: targetID) else {
                throw PluginHTTPError(404, "No Site matches the given query.")
            }
        } else {
            throw PluginHTTPError(400, "Name what to assign: default, client or site (with alert_template).")
        }
        guard let value else { throw PluginHTTPError(400, "alert_template is required: a template id, or null to clear.") }
        let field = target == "default" ? "default" : "alert_template"
        if value.isNull {
            try await host.execute("DELETE FROM assignments WHERE target = $1 AND target_id = $2", [target, targetID])
        } else {
            let template = try Self.int(value, field, in: BoundedInt.id)
            let known = try await host.queryRows("SELECT 1 FROM templates WHERE id = $1", [template])
            guard !known.isEmpty else {
                throw PluginHTTPError(400, "\(field): there is no alert template \(template).")
            }
            try await host.execute(
                """
                INSERT INTO assignments (target, target_id, template_id) VALUES ($1, $2, $3)
                ON CONFLICT (target, target_id) DO UPDATE SET template_id = EXCLUDED.template_id
                """, [target, targetID, template])
        }
        try? host.audit(
            action: "alerttemplate.assign", username: req.username, agentID: nil, object: "\(target):\(targetID)", detail: .object(body))
        return try .json(JSON.string("ok"))
    }

    // MARK: policies' templates (the host's field, mirrored for related and scope)

    func policyChanged(_ event: PluginEvent) async {
        guard let id = event.json["id"]?.intValue else { return }
        do {
            let policy = try await host.coreObject(kind: .policy, id: String(id))
            if let template = policy["alert_template"]?.intValue {
                try await host.execute(
                    """
                    INSERT INTO policy_templates (policy_id, template_id) VALUES ($1, $2)
                    ON CONFLICT (policy_id) DO UPDATE SET template_id = EXCLUDED.template_id
                    """, [id, template])
            } else {
                try await host.execute("DELETE FROM policy_templates WHERE policy_id = $1", [id])
            }
        } catch let error as PluginError where error.status == .notFound {
            try? await host.execute("DELETE FROM policy_templates WHERE policy_id = $1", [id])
        } catch { host.log(.warning, "policy \(id)'s alert template: \(error)") }
    }

    func policyDeleted(_ event: PluginEvent) async {
        guard let id = event.json["id"]?.intValue else { return }
        try? await host.execute("DELETE FROM policy_templates WHERE policy_id = $1", [id])
    }

    // MARK: which template applies

    /// The agent's template, as Tactical RMM decides it: the applying policies are visited
    /// from the agent's own to the default (the host's agent_brief "policies", already without
    /// inactive, excluding and blocked ones); at the default step the global default template
    /// wins; at each step a policy's active, non-excluding template; at the site step the
    /// site's own, at the client step the client's own. None: no template.
    func effectiveTemplate(agent: JSON) async throws -> AlertTemplate? {
        var policyTemplates: [String: Int] = [:]
        for p in agent["policies"]?.arrayValue ?? [] {
            guard let id = p["id"]?.intValue, let source = p["source"]?.stringValue, policyTemplates[source] == nil else { continue }
            do {
                if let t = try await host.coreObject(kind: .policy, id: String(id))["alert_template"]?.intValue { policyTemplates[source] = t }
            } catch let error as PluginError where error.status == .notFound { continue }
        }
        let client = agent["client"]?.intValue ?? -1, site = agent["site"]?.intValue ?? -1
        let rows = try await host.queryRows(
            """
            SELECT x.target, t.id, t.name, t.fields FROM assignments x JOIN templates t ON t.id = x.template_id
            WHERE x.target = 'default' OR (x.target = 'client' AND x.target_id = $1) OR (x.target = 'site' AND x.target_id = $2)
            UNION ALL
            SELECT 'policy', t.id, t.name, t.fields FROM templates t WHERE t.id = ANY($3::bigint[])
            """, [client, site, Self.array(Array(policyTemplates.values))])
        var templates: [Int: AlertTemplate] = [:]
        var assigned: [String: Int] = [:]
        for row in rows {
            guard let id = row["id"]?.intValue else { continue }
            templates[id] = AlertTemplate(
                id: id, name: row["name"]?.stringValue ?? "",
                f: TemplateFields.defaults.merging(row["fields"]?.objectValue ?? [:]) { _, stored in stored })
            if let target = row["target"]?.stringValue, target != "policy" { assigned[target] = id }
        }
        return Self.choose(agent: agent, policyTemplates: policyTemplates, assigned: assigned, templates: templates)
    }

    /// The precedence itself (pure).
    static func choose(agent: JSON, policyTemplates: [String: Int], assigned: [String: Int], templates: [Int: AlertTemplate])
        -> AlertTemplate?
    {
        func usable(_ id: Int?) -> AlertTemplate? {
            guard let id, let t = templates[id], t.applies(to: agent) else { return nil }
            return t
        }
        for step in ["agent", "site", "client", "default"] {
            if step == "default", let t = usable(assigned["default"]) { return t }
            if let t = usable(policyTemplates[step]) { return t }
            if step == "site" || step == "client", let t = usable(assigned[step]) { return t }
        }
        return nil
    }
}

extension Alerts {
    /// JSON as text, for a jsonb parameter.
    static func jsonText(_ value: JSON) -> String { String(decoding: value.jsonBytes, as: UTF8.self) }
}
