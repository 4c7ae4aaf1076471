import CGarrisonPlugin
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// register_route / register_route_scoped, and serving those routes: the host has routed,
/// authenticated and authorized the request before the plugin sees anything.
extension LoadedPlugin {
    static let methods: [String: HTTPRequest.Method] = ["GET": .get, "POST": .post, "PUT": .put, "PATCH": .patch, "DELETE": .delete]

    /// Who may call a plugin route, from the header's permission string.
    static func access(for permission: String) -> Access? {
        switch permission {
        case "agent": return .agent
        case "authenticated": return .authenticated
        default: return Permissions.isValid(permission) ? .permission(permission) : nil
        }
    }

    /// "2fa-enroll, other" -> ["2fa-enroll", "other"]; empty text -> none; nil when malformed.
    static func scopes(_ csv: String) -> Set<String>? {
        let trimmed = csv.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return [] }
        var scopes = Set<String>()
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let scope = part.trimmingCharacters(in: .whitespaces)
            guard PluginLoader.isValidName(scope) else { return nil }
            scopes.insert(scope)
        }
        return scopes
    }

    func registerRoute(
        method: garrison_bytes, pattern: garrison_bytes, permission: garrison_bytes, scopesCSV: garrison_bytes,
        fn: garrison_route_fn?, user: UnsafeMutableRawPointer?, freeFn: garrison_free_fn?, out: UnsafeMutablePointer<garrison_reg>?
    ) -> Int32 {
        out?.pointee = 0
        guard isRegistering else { return refuse(GARRISON_ERR_PHASE, "register_route outside plugin_init") }
        let methodText = method.string ?? "?"
        guard let httpMethod = Self.methods[methodText] else {
            return refuse(GARRISON_ERR_INVALID, "register_route: unknown method '\(method.lossyString)' (GET, POST, PUT, PATCH or DELETE)")
        }
        guard let patternText = pattern.string, !patternText.isEmpty else {
            return refuse(GARRISON_ERR_INVALID, "register_route: empty or non-UTF-8 path pattern")
        }
        let normalized = RoutePattern.normalize(patternText)
        if let problem = RoutePattern.validate(normalized) { return refuse(GARRISON_ERR_INVALID, "register_route: \(problem)") }
        guard let permissionText = permission.string, let access = Self.access(for: permissionText) else {
            return refuse(
                GARRISON_ERR_INVALID, "register_route \(methodText) \(normalized): unknown permission '\(permission.lossyString)'")
        }
        guard let scopesText = scopesCSV.string, let scopes = Self.scopes(scopesText) else {
            return refuse(GARRISON_ERR_INVALID, "register_route_scoped \(methodText) \(normalized): bad scopes '\(scopesCSV.lossyString)'")
        }
        guard let fn else { return refuse(GARRISON_ERR_INVALID, "register_route \(methodText) \(normalized): fn is NULL") }
        let entry = PluginRegistrations.RouteEntry(
            id: PluginRegistrations.nextID(), method: httpMethod, pattern: normalized, permission: permissionText, access: access,
            scopes: scopes, callback: PluginCallback(function: fn, user: PluginUserData(pointer: user)))
        let existing = services.dispatcher.routes
        let code = registering("register_route") { registrations in
            let probe = Route(httpMethod, normalized, access: access, owner: name) { _ in Response(status: .ok) }
            let mine = registrations.routes.map {
                Route($0.method, $0.pattern, access: $0.access, owner: name) { _ in Response(status: .ok) }
            }
            do {
                _ = try RouteTable(existing + mine).adding(probe)
            } catch {
                return .refused(GARRISON_ERR_CONFLICT, "\(error)")
            }
            registrations.routes.append(entry)
            registrations.addDestructor(freeFn, user)
            return .registered
        }
        if code == GARRISON_OK { out?.pointee = entry.id }
        return code
    }

    /// The routes to add to the dispatcher once the plugin starts serving.
    func dispatcherRoutes(_ entries: [PluginRegistrations.RouteEntry]) -> [Route] {
        entries.map { entry in
            Route(
                entry.method, entry.pattern, access: entry.access, scopes: entry.scopes, owner: name,
                summary: "plugin \(name)", handler: routeHandler(entry))
        }
    }

    private func routeHandler(_ entry: PluginRegistrations.RouteEntry) -> RouteHandler {
        let callback = entry.callback
        return { [self] call in
            guard enter(.dispatch) else {
                throw APIError(.serviceUnavailable, "The plugin \(name) is not serving right now (starting or being disabled).")
            }
            defer { exit() }
            let pluginCall = PluginCall(host: self, request: call)
            let status = pluginCall.invoke(callback)
            if status == GARRISON_PENDING { return await awaitAnswer(pluginCall) }
            if let response = pluginCall.answer.collect() {
                if status != GARRISON_OK {
                    logger.notice(
                        "route function answered, then returned \(PluginABI.statusName(status))", metadata: ["request": "\(call.requestID)"]
                    )
                }
                return response
            }
            logger.error(
                "route function returned \(PluginABI.statusName(status)) without answering",
                metadata: ["request": "\(call.requestID)", "route": "\(call.method.rawValue) \(call.route)"])
            return Responses.detail("Internal error (request \(call.requestID)).", status: .internalServerError)
        }
    }

    func awaitAnswer(_ pluginCall: PluginCall) async -> Response {
        let id = ObjectIdentifier(pluginCall)
        let held = withState { state -> Bool in
            guard state.instance.acceptsServiceCalls else { return false }
            state.openAnswers[id] = pluginCall
            return true
        }
        if !held { pluginCall.answer.cancel() }
        pluginCall.armDeadline(default: services.callTimeout)
        let outcome = await pluginCall.answer.wait()
        services.callDeadlines.cancel(pluginCall)
        let timeout = pluginCall.effectiveTimeout ?? services.callTimeout
        let request = pluginCall.request
        switch outcome {
        case .answered(let response):
            forget(pluginCall)
            return response
        case .timedOut:
            // The call stays in openAnswers: its handle is valid until the plugin answers.
            logger.warning(
                "plugin did not answer in time; sent 504",
                metadata: [
                    "request": "\(request.requestID)", "route": "\(request.method.rawValue) \(request.route)", "timeout": "\(timeout)",
                ])
            return Responses.detail(
                "The plugin \(name) did not answer \(request.method.rawValue) \(request.path) within \(Self.milliseconds(timeout)) ms.",
                status: .gatewayTimeout)
        case .cancelled:
            return Responses.detail("The plugin \(name) was disabled before it answered.", status: .serviceUnavailable)
        }
    }

    /// The plugin answered (or gave up on) an open call: its handle may end.
    func forget(_ answer: some PluginAnswerHolder & AnyObject) {
        withState { _ = $0.openAnswers.removeValue(forKey: ObjectIdentifier(answer)) }
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
