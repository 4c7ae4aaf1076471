import CCurl
import Foundation
import PluginKit

/// urlaction -- Tactical RMM's URL actions (Plugins/URLActions/README.md): the URLAction
/// objects and their routes, web actions resolved into links, and REST actions sent as
/// webhooks, both for an operator's test and as an alert template's failure or resolved
/// action (the alerts plugin's alert.notify of channel "webhook"), from an outbox with
/// retries; each outcome goes back to the alert as urlaction.alert_action.result.
///
///   GET    /core/urlaction/            [can_run_urlactions]      URLAction[]
///   POST   /core/urlaction/            [can_edit_core_settings]  "ok"
///   PUT    /core/urlaction/<pk>/       [can_edit_core_settings]  "ok"
///   DELETE /core/urlaction/<pk>/       [can_edit_core_settings]  "ok"
///   PATCH  /core/urlaction/run/        [can_run_urlactions]      the web action's URL
///   POST   /core/urlaction/run/test/   [can_run_urlactions]      {"url", "result", "body"}
final class URLActions: GarrisonPlugin {
    static let name: StaticString = "urlaction"
    static let version: StaticString = "0.1.0"
    static let minHostMinor: UInt16 = 1

    let host: PluginHost
    let config: Config
    /// One sender at a time; a kick while it runs makes it look again.
    let sender = SingleFlight()
    /// The outbox's connections, one per request of a batch (sendDue sends 50 at once).
    let sessions = HTTP.Sessions(idle: 50)

    init(host: PluginHost) throws {
        self.host = host
        self.config = try Config(try host.settings(Settings.self))
        ccurl_global_init()
    }

    func register(_ r: Registrar) throws {
        try r.migration(version: 1, sql: Schema.v1)
        try r.route(.get, "/core/urlaction/", permission: "can_run_urlactions") { _ in try await self.list() }
        try r.route(.post, "/core/urlaction/", permission: "can_edit_core_settings") { req in try await self.add(req) }
        try r.route(.put, "/core/urlaction/<pk>/", permission: "can_edit_core_settings") { req in try await self.edit(req) }
        try r.route(.delete, "/core/urlaction/<pk>/", permission: "can_edit_core_settings") { req in try await self.delete(req) }
        try r.route(.patch, "/core/urlaction/run/", permission: "can_run_urlactions") { req in try await self.runWeb(req) }
        try r.route(.post, "/core/urlaction/run/test/", permission: "can_run_urlactions") { req in try await self.runTest(req) }
        Counted.allCases.forEach { count($0, by: 0) }
        try r.subscribe("alert.notify") { event in await self.received(event) }
        try r.jobKind("urlaction.send") { _ in
            let sent = try await self.sendDue()
            let published = try await self.publishResults()
            try await self.prune()
            return ["sent": .number(Double(sent)), "published": .number(Double(published))]
        }
        try r.subscribe("core.started") { _ in await self.ensureSchedule() }
        Task { await self.ensureSchedule() }
        host.log(.info, "URL actions: webhooks are sent when an alert template names a rest URL action")
    }

    func ensureSchedule() async {
        for attempt in 1...50 {
            do {
                _ = try await host.upsertSchedule(
                    ["id": JSON.string("urlaction-send"), "kind": "urlaction.send", "every_s": .number(Double(config.sweep))] as JSON)
                kick()
                return
            } catch {
                if attempt == 50 { host.log(.warning, "schedule: \(error)"); return }
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    // MARK: URLAction objects

    static let columns = """
        jsonb_build_object('id', id, 'name', name, 'desc', "desc", 'pattern', pattern, 'action_type', action_type,
            'rest_method', rest_method, 'rest_body', rest_body, 'rest_headers', rest_headers,
            'created_by', created_by, 'modified_by', modified_by,
            'created_time', to_char(created_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'modified_time', to_char(modified_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')) AS action
        """

    func list() async throws -> PluginResponse {
        let rows = try await host.queryRows("SELECT \(Self.columns) FROM url_actions ORDER BY id")
        return try .json(JSON.array(rows.compactMap { $0["action"] }))
    }

    static let notFound = PluginHTTPError(404, "No URLAction matches the given query.")

    func action(_ id: Int) async throws -> JSON {
        guard let row = try await host.queryRows("SELECT \(Self.columns) FROM url_actions WHERE id = $1", [id]).first?["action"] else {
            throw Self.notFound
        }
        return row
    }

    /// URL actions are shared by every client (an alert template's webhook reports on any
    /// agent): a role limited to some clients may run them, not change them.
    func requireUnscoped(_ req: PluginRequest) throws {
        guard req.roleScope.isUnrestricted else {
            throw PluginHTTPError(403, "URL actions are shared by every client; only a role that sees every client may change them.")
        }
    }

    static let fields: Set<String> = ["name", "desc", "pattern", "action_type", "rest_method", "rest_body", "rest_headers"]
    static let readOnly: Set<String> = ["id", "created_by", "created_time", "modified_by", "modified_time"]

    /// A create or edit body checked against the stored action (`current`); every refusal
    /// names the field.
    static func checked(_ body: JSON, over current: [String: JSON]) throws -> [String: JSON] {
        guard case .object(let members) = body else { throw PluginHTTPError(400, "The body must be a JSON object of URLAction fields.") }
        var out = current
        for (key, value) in members.sorted(by: { $0.key < $1.key }) {
            if readOnly.contains(key) { continue }
            guard fields.contains(key) else {
                throw PluginHTTPError(400, "\(key) is not a field of a URL action (name, desc, pattern, action_type, rest_method, rest_body, rest_headers).")
            }
            switch key {
            case "desc", "rest_body", "rest_headers":
                guard value.isNull || value.stringValue != nil else { throw PluginHTTPError(400, "\(key) must be a string or null.") }
                if let text = value.stringValue, text.utf8.count > 1_000_000 { throw PluginHTTPError(400, "\(key) must be at most 1 MB.") }
            case "name", "pattern":
                guard let text = value.stringValue, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw PluginHTTPError(400, "\(key) must be a non-empty string.")
                }
                guard text.utf8.count <= (key == "name" ? 255 : 10_000) else {
                    throw PluginHTTPError(400, "\(key) must be at most \(key == "name" ? 255 : 10_000) bytes.")
                }
            case "action_type":
                guard let text = value.stringValue, ["web", "rest"].contains(text) else {
                    throw PluginHTTPError(400, "action_type must be web or rest.")
                }
            default:  // rest_method
                guard let text = value.stringValue, ["get", "post", "put", "delete", "patch"].contains(text) else {
                    throw PluginHTTPError(400, "rest_method must be one of get, post, put, delete, patch.")
                }
            }
            out[key] = value
        }
        guard out["name"]?.stringValue != nil else { throw PluginHTTPError(400, "name is required.") }
        guard out["pattern"]?.stringValue != nil else { throw PluginHTTPError(400, "pattern is required.") }
        if out["action_type"]?.stringValue == "rest" {
            try checkRestURL(out["pattern"]?.stringValue ?? "", field: "pattern")
            try Variables.checkTemplate(out["rest_body"]?.stringValue ?? "", field: "rest_body", object: false)
            try Variables.checkTemplate(out["rest_headers"]?.stringValue ?? "", field: "rest_headers", object: true)
        }
        return out
    }

    /// A webhook's URL: http:// or https://, or a placeholder that will give one
    /// ({{global.webhook_url}}); checked again after substitution when it is sent.
    static func checkRestURL(_ pattern: String, field: String) throws {
        let lower = pattern.trimmingCharacters(in: .whitespaces).lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("{{") else {
            throw PluginHTTPError(400, "\(field) must be an http:// or https:// URL (or start with a {{...}} variable that holds one).")
        }
    }

    func add(_ req: PluginRequest) async throws -> PluginResponse {
        try requireUnscoped(req)
        let body: JSON = try req.json()
        let f = try Self.checked(body, over: ["action_type": "web", "rest_method": "post", "rest_body": "", "rest_headers": ""])
        let rows = try await host.queryRows(
            """
            INSERT INTO url_actions (name, "desc", pattern, action_type, rest_method, rest_body, rest_headers, created_by, modified_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id
            """,
            [
                f["name"]?.stringValue, f["desc"]?.stringValue, f["pattern"]?.stringValue, f["action_type"]?.stringValue,
                f["rest_method"]?.stringValue, f["rest_body"]?.stringValue, f["rest_headers"]?.stringValue, req.username,
            ])
        try? host.audit(
            action: "add", username: req.username, object: "urlaction:\(rows.first?["id"]?.intValue ?? 0)",
            detail: ["name": f["name"] ?? .null], ip: req.sourceIP)
        return try .json(JSON.string("ok"))
    }

    func edit(_ req: PluginRequest) async throws -> PluginResponse {
        let id = try req.intParam("pk")
        let current = try await action(id)
        try requireUnscoped(req)
        let body: JSON = try req.json()
        let f = try Self.checked(body, over: current.objectValue ?? [:])
        try await host.execute(
            """
            UPDATE url_actions SET name = $2, "desc" = $3, pattern = $4, action_type = $5, rest_method = $6, rest_body = $7,
                rest_headers = $8, modified_by = $9, modified_time = now() WHERE id = $1
            """,
            [
                id, f["name"]?.stringValue, f["desc"]?.stringValue, f["pattern"]?.stringValue, f["action_type"]?.stringValue,
                f["rest_method"]?.stringValue, f["rest_body"]?.stringValue, f["rest_headers"]?.stringValue, req.username,
            ])
        try? host.audit(action: "modify", username: req.username, object: "urlaction:\(id)", detail: body, ip: req.sourceIP)
        return try .json(JSON.string("ok"))
    }

    func delete(_ req: PluginRequest) async throws -> PluginResponse {
        let id = try req.intParam("pk")
        _ = try await action(id)
        try requireUnscoped(req)
        try await host.execute("DELETE FROM url_actions WHERE id = $1", [id])
        try? host.audit(action: "delete", username: req.username, object: "urlaction:\(id)", ip: req.sourceIP)
        return try .json(JSON.string("ok"))
    }

    // MARK: runs

    /// The instance named in a run body, checked against the caller's scope (404 outside).
    func instance(type: String, id: String?, req: PluginRequest) async throws -> VariableContext {
        let scope = req.roleScope
        switch type {
        case "agent":
            guard let id, !id.isEmpty else { throw PluginHTTPError(400, "run_instance_id must name the agent (its agent_id).") }
            let agent: JSON
            do { agent = try await host.coreObject(kind: .agentBrief, id: id) } catch let e as PluginError where e.status == .notFound {
                throw PluginHTTPError(404, "No Agent matches the given query.")
            }
            guard scope.allows(clientID: agent["client"]?.intValue ?? 0, siteID: agent["site"]?.intValue) else {
                throw PluginHTTPError(404, "No Agent matches the given query.")
            }
            return VariableContext(host: host, instance: "agent", agentID: id)
        case "site":
            let pk = try BoundedInt.parse(id, "site", in: BoundedInt.id)
            let site: JSON
            do { site = try await host.coreObject(kind: .site, id: String(pk)) } catch let e as PluginError where e.status == .notFound {
                throw PluginHTTPError(404, "No Site matches the given query.")
            }
            guard scope.allows(clientID: site["client"]?.intValue ?? 0, siteID: pk) else {
                throw PluginHTTPError(404, "No Site matches the given query.")
            }
            return VariableContext(host: host, instance: "site", siteID: pk)
        case "client":
            let pk = try BoundedInt.parse(id, "client", in: BoundedInt.id)
            do { _ = try await host.coreObject(kind: .client, id: String(pk)) } catch let e as PluginError where e.status == .notFound {
                throw PluginHTTPError(404, "No Client matches the given query.")
            }
            guard scope.isUnrestricted || scope.clients.contains(pk) else { throw PluginHTTPError(404, "No Client matches the given query.") }
            return VariableContext(host: host, instance: "client", clientID: pk)
        default:
            return VariableContext(host: host, instance: "none")
        }
    }

    /// Tactical RMM's web action: the pattern with the agent's, site's or client's variables
    /// (unresolved ones left as written), percent-encoded; audited as url_action.
    func runWeb(_ req: PluginRequest) async throws -> PluginResponse {
        let body: JSON = try req.json()
        guard let actionValue = body["action"] else { throw PluginHTTPError(400, "action is required (the URL action's id).") }
        let id = try Self.int(actionValue, "action")
        var context: VariableContext
        var target: String
        if let agent = body["agent_id"]?.stringValue {
            context = try await instance(type: "agent", id: agent, req: req)
            target = "agent \(agent)"
        } else if let site = body["site"], !site.isNull {
            context = try await instance(type: "site", id: String(try Self.int(site, "site")), req: req)
            target = "site \(site.intValue ?? 0)"
        } else if let client = body["client"], !client.isNull {
            context = try await instance(type: "client", id: String(try Self.int(client, "client")), req: req)
            target = "client \(client.intValue ?? 0)"
        } else {
            throw PluginHTTPError(400, "received an incorrect request")
        }
        let action = try await action(id)
        let pattern = action["pattern"]?.stringValue ?? ""
        let values = await context.values(for: [pattern])
        var texts: [String: String?] = [:]
        for (key, value) in values {
            if let value, value != .null { texts[key] = Variables.pythonText(value) } else { texts[key] = .some(nil) }
        }
        let url = Variables.requote(Variables.substitute(pattern, texts))
        try? host.audit(
            action: "url_action", username: req.username, agentID: body["agent_id"]?.stringValue, object: "urlaction:\(id)",
            detail: ["name": action["name"] ?? .null, "target": .string(target)], ip: req.sourceIP)
        return try .json(JSON.string(url))
    }

    static func int(_ value: JSON, _ field: String) throws -> Int {
        if let n = value.intValue { return try BoundedInt.check(n, field, in: BoundedInt.id) }
        if let s = value.stringValue, let n = Int(s) { return try BoundedInt.check(n, field, in: BoundedInt.id) }
        throw PluginHTTPError(400, "\(field) must be a whole number from 1 to \(Int.max).")
    }

    /// A prepared webhook: what is sent, or why it cannot be.
    struct Prepared: Sendable {
        var method: String
        var url: String
        var body: String?
        var headers: [(String, String)]
        var error: String?
        var bodyValid: Bool
    }

    /// Tactical RMM's REST action: every placeholder of URL, body and headers replaced by its
    /// value as Python's str() writes it (unresolved: None), the URL percent-encoded, the body
    /// cleaned and sent as JSON, the headers parsed.
    func prepare(method: String, pattern: String, body: String, headers: String, context: inout VariableContext) async -> Prepared {
        let values = await context.values(for: [pattern, body, headers])
        var texts: [String: String?] = [:]
        for (key, value) in values { texts[key] = Variables.pythonText(value) }
        let url = Variables.requote(Variables.substitute(pattern, texts).trimmingCharacters(in: .whitespaces))
        let sent = Variables.webhookBody(Variables.substitute(body, texts))
        var prepared = Prepared(
            method: method, url: url, body: ["get", "delete"].contains(method) ? nil : sent.body, headers: [], error: nil,
            bodyValid: sent.valid)
        do { prepared.headers = try Variables.headers(Variables.substitute(headers, texts)) } catch let error as PluginError {
            prepared.error = error.message
        } catch { prepared.error = "\(error)" }
        if prepared.error == nil, let refusal = config.refusal(url) { prepared.error = refusal }
        return prepared
    }

    struct TestBody: Decodable {
        let pattern: String
        let rest_body: String
        let rest_headers: String
        let rest_method: String
        let run_instance_type: String
        let run_instance_id: String?
    }

    /// Tactical RMM's test of a REST action: really sent (once, no retries); the answer's text
    /// or the error is the result.
    func runTest(_ req: PluginRequest) async throws -> PluginResponse {
        let body: JSON = try req.json()
        for key in ["pattern", "rest_body", "rest_headers", "rest_method", "run_instance_type"] {
            guard body[key]?.stringValue != nil else { throw PluginHTTPError(400, "\(key) is required (a string).") }
        }
        guard body.objectValue?.keys.contains("run_instance_id") == true else {
            throw PluginHTTPError(400, "run_instance_id is required (an agent_id, a site or client id, or null).")
        }
        let method = body["rest_method"]?.stringValue ?? ""
        guard ["get", "post", "put", "delete", "patch"].contains(method) else {
            throw PluginHTTPError(400, "rest_method must be one of get, post, put, delete, patch.")
        }
        let type = body["run_instance_type"]?.stringValue ?? ""
        guard ["agent", "client", "site", "none"].contains(type) else {
            throw PluginHTTPError(400, "run_instance_type must be one of agent, client, site, none.")
        }
        let pattern = body["pattern"]?.stringValue ?? ""
        guard !pattern.trimmingCharacters(in: .whitespaces).isEmpty else { throw PluginHTTPError(400, "pattern may not be blank.") }
        try Self.checkRestURL(pattern, field: "pattern")
        let instanceID = body["run_instance_id"]?.stringValue ?? body["run_instance_id"]?.intValue.map(String.init)
        var context = try await instance(type: type, id: instanceID, req: req)
        let prepared = await prepare(
            method: method, pattern: pattern, body: body["rest_body"]?.stringValue ?? "", headers: body["rest_headers"]?.stringValue ?? "",
            context: &context)
        if prepared.body != nil && !prepared.bodyValid {
            throw PluginHTTPError(400, "rest_body is not valid JSON after substitution; check quotes around {{...}} values.")
        }
        if let error = prepared.error {
            if error.hasPrefix("rest_headers") { throw PluginHTTPError(400, error) }
            throw PluginHTTPError(400, "pattern: \(error)")
        }
        let answer = await HTTP.send(method: method, url: prepared.url, headers: prepared.headers, body: prepared.body, timeout: config.timeout)
        return try .json([
            "url": .string(prepared.url), "result": .string(answer.error ?? answer.text),
            "body": prepared.body.map(JSON.string) ?? .null,
        ])
    }
}

extension PluginRequest {
    var username: String { principal["username"]?.stringValue ?? "" }
}
