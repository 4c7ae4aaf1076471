/// What `/api/schema/` says about requests and answers beyond the route table: the error body
/// every route shares, the statuses the host answers with, typed path parameters, and the
/// few routes whose query parameters or answers differ from the rest. Schemathesis checks
/// every answer against this (Tests/GarrisonHostTests/SchemaFuzzTests.swift), so an entry
/// that goes stale shows up there.
enum OpenAPIShapes {
    /// `{"detail": "..."}`: the body of every error, core and plugin alike.
    static let errorSchema: JSON = [
        "type": "object", "required": ["detail"],
        "properties": ["detail": ["type": "string", "description": "What was wrong and what to do"]],
    ]

    /// Statuses any route may answer with besides success. 500 is missing on purpose: it is
    /// always a bug, never a documented answer.
    static let errorStatuses: [(String, String)] = [
        ("400", "Bad input: a field missing, of the wrong type or out of range"),
        ("401", "Not authenticated (no, an unknown or an expired token or key)"),
        ("403", "Missing permission, or the object is outside the caller's scope"),
        ("404", "No such object (or none the caller may see)"),
        ("409", "Conflict with the current state (a name taken, a change made meanwhile)"),
        ("413", "Request body larger than server.max_body_bytes (or the anonymous limit)"),
        ("429", "Too many attempts (sign-in throttling); wait and retry"),
        ("502", "A service Garrison bridges to (MeshCentral) failed, answered garbage or did not answer in time"),
        ("503", "A dependency is unavailable now: the database, the agent bus, an offline agent, a plugin being reloaded"),
        ("504", "An agent or a plugin did not answer in time"),
    ]

    /// Path parameters that are whole numbers (object ids and quantities); the rest (agent
    /// ids, uids, schedule names, log types, targets) are strings.
    static let integerParameters: Set<String> = ["pk", "pid", "days", "hist_pk"]

    static func pathParameterSchema(_ name: String) -> JSON {
        integerParameters.contains(name) ? ["type": "integer"] : ["type": "string"]
    }

    /// Query parameters, by "METHOD pattern" as the route table spells it.
    static let queryParameters: [String: [(name: String, schema: JSON, description: String)]] = [
        "GET /agents/": [
            ("page", ["type": "integer", "minimum": 1, "maximum": 2_147_483_647], "Page number; without it, every agent in one list"),
            ("page_size", ["type": "integer", "minimum": 1, "maximum": 1000], "Agents per page (50)"),
            ("client", ["type": "integer", "minimum": 1], "Only this client's agents"),
            ("site", ["type": "integer", "minimum": 1], "Only this site's agents"),
            ("monitoring_type", ["type": "string", "enum": ["server", "workstation"]], "Only servers or workstations"),
            ("plat", ["type": "string", "enum": ["windows", "linux", "darwin"]], "Only this platform"),
            ("status", ["type": "string", "enum": ["online", "offline", "overdue"]], "Only agents in this state"),
            ("search", ["type": "string"], "Hostname, description, logged-in user or public IP contains this, or the agent id is it"),
        ],
        "GET /logs/pendingactions/": [
            ("status", ["type": "string", "enum": ["pending", "completed", "cancelled", "expired"]], "Only actions in this state")
        ],
        "GET /core/jobs/<id>/runs/": [
            ("limit", ["type": "integer", "minimum": 1, "maximum": 1000], "Most recent runs to list (50)")
        ],
        "GET /clients/<uid>/deploy/": [
            ("plat", ["type": "string"], "'windows' for the Windows command line; anything else for the shell script")
        ],
        "DELETE /clients/sites/<pk>/": [
            ("move_to_site", ["type": "integer", "minimum": 1], "Move the site's agents here first")
        ],
    ]

    /// Successes that are not JSON, by "METHOD pattern": their content types.
    static let otherSuccessTypes: [String: [String]] = [
        "GET /metrics/": ["text/plain"],
        "GET /clients/<uid>/deploy/": ["text/plain", "text/x-shellscript"],
        "POST /agents/installer/": ["application/json", "text/x-shellscript"],
        "GET /": ["text/html"],
        "GET /dashboard/<file>/": ["text/html", "text/css", "text/javascript", "image/svg+xml", "image/png"],
        "POST /api/v3/meshexe/": ["application/octet-stream"],
    ]

    /// Tactical RMM's monitoring endpoints answer their errors as plain text (MonitoringRoutes).
    static let plainTextErrors: Set<String> = ["POST /core/status/", "GET /core/v2/status/"]

    /// Routes that answer 304 Not Modified to a matching If-None-Match (the dashboard's files).
    static let conditional: Set<String> = ["GET /", "GET /dashboard/<file>/"]

    /// Routes that answer success with no body.
    static let noContent: Set<String> = ["POST /logout/", "POST /logoutall/", "DELETE /accounts/sessions/<id>/"]

    static func key(_ route: Route) -> String { "\(route.method.rawValue) \(route.pattern)" }

    static func responses(_ route: Route) -> JSON {
        let key = key(route)
        var responses: [String: JSON] = [:]
        let types = otherSuccessTypes[key] ?? ["application/json"]
        var content: [String: JSON] = [:]
        for type in types { content[type] = ["schema": [:]] }
        responses["200"] = ["description": "Success", "content": .object(content)]
        if noContent.contains(key) { responses["204"] = ["description": "Done; no body"] }
        if conditional.contains(key) { responses["304"] = ["description": "Not modified since the ETag sent in If-None-Match"] }
        for (status, description) in errorStatuses {
            responses[status] =
                plainTextErrors.contains(key)
                ? ["description": .string(description), "content": ["text/plain": ["schema": ["type": "string"]]]]
                : [
                    "description": .string(description),
                    "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]],
                ]
        }
        return .object(responses)
    }

    /// Writes take a JSON object; which fields each route reads is in its summary and the README.
    static func requestBody(_ route: Route) -> JSON? {
        guard [.post, .put, .patch].contains(route.method) else { return nil }
        return ["required": false, "content": ["application/json": ["schema": ["type": "object"]]]]
    }
}
