import CGarrisonPlugin

/// An async route handler.
public typealias RouteHandler = @Sendable (PluginRequest) async throws -> PluginResponse

final class RouteBox: RegistrationBox, @unchecked Sendable {
    let label: String
    let handler: RouteHandler

    init(host: PluginHost, label: String, handler: @escaping RouteHandler) {
        self.label = label
        self.handler = handler
        super.init(host: host)
    }

    func serve(_ request: PluginRequest, _ call: CallContext) async {
        let response: PluginResponse
        do {
            response = try await handler(request)
        } catch {
            let mapped = PluginResponse.forError(error)
            if let line = mapped.log {
                host.log(.error, "\(label) [\(request.requestID)]: \(line)")
            }
            response = mapped.response
        }
        call.respond(response, label: "\(label) [\(request.requestID)]")
    }
}

/// The garrison_route_fn of every Swift route: copies the borrowed request,
/// answers later from a Task, and returns PENDING at once so no host thread
/// ever waits on Swift code.
func pluginKitRoute(
    _ user: UnsafeMutableRawPointer?, _ req: UnsafePointer<garrison_request>?,
    _ call: OpaquePointer?
) -> Int32 {
    guard let user, let req, let call else { return GARRISON_ERR_INVALID }
    let box = Unmanaged<RouteBox>.fromOpaque(user).takeUnretainedValue()
    let context = CallContext(host: box.host, call: call)
    let request = PluginRequest(copying: req, call: context)
    // The Task holds box strongly, so a free_fn running meanwhile is harmless.
    Task { await box.serve(request, context) }
    return GARRISON_PENDING
}

extension Registrar {
    /// Serves an HTTP route with an async handler.
    ///
    /// - Parameters:
    ///   - path: "/hello/<pk>/"; literal segments and <name> parameters.
    ///   - permission: an operator permission ("can_list_agents"),
    ///     "authenticated", or "agent".
    ///   - scopes: the route's scopes; needs a host with
    ///     register_route_scoped (ABI 1.1), else throws `.unsupported`
    ///     rather than registering a route with weaker checks.
    ///   - handler: runs in a Task. A thrown PluginHTTPError answers its
    ///     status and {"detail": ...}; any other error answers 500
    ///     {"detail":"internal error"} and is logged.
    public func route(
        _ method: HTTPMethod, _ path: String, permission: String, scopes: [String] = [],
        handler: @escaping RouteHandler
    ) throws {
        let label = "\(method) \(path)"
        try ensureOpen("route \(label)")
        let box = RouteBox(host: host, label: label, handler: handler)
        let handle = host.handle

        if scopes.isEmpty {
            let registerRoute = host.api.required(\.register_route)
            try register("register_route \(label)", box) { user in
                withBytes(method.rawValue, path, permission) { m, p, perm in
                    registerRoute(handle, m, p, perm, pluginKitRoute, user, pluginKitFree, nil)
                }
            }
        } else {
            guard let registerScoped = host.api.optional(\.register_route_scoped) else {
                throw PluginError(.unsupported, "route \(label): scopes need register_route_scoped (ABI 1.1)")
            }
            let csv = scopes.joined(separator: ",")
            try register("register_route_scoped \(label)", box) { user in
                withBytes(method.rawValue, path, permission, csv) { m, p, perm, s in
                    registerScoped(handle, m, p, perm, s, pluginKitRoute, user, pluginKitFree, nil)
                }
            }
        }
    }
}
