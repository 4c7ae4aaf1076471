import Hummingbird

/// Who may call a route. Every route names one; there is no default.
public enum Access: Sendable, Equatable, CustomStringConvertible {
    /// Open to anyone (health, login). Used sparingly and listed in the OpenAPI document.
    case anonymous
    /// Any signed-in operator, whatever the role (logout, own sessions).
    case authenticated
    /// An operator whose role carries this permission name (superusers carry all).
    case permission(String)
    /// An enrolled agent, by its own token (the `/api/v3/` routes).
    case agent

    public var description: String {
        switch self {
        case .anonymous: return "anonymous"
        case .authenticated: return "authenticated"
        case .permission(let name): return name
        case .agent: return "agent"
        }
    }
}

/// A handler's answer to one call.
public typealias RouteHandler = @Sendable (Call) async throws -> Response

/// One entry of the route table: the same shape for core routes and plugin routes.
public struct Route: Sendable {
    public let method: HTTPRequest.Method
    public let pattern: String
    public let access: Access
    /// Limited-token scopes (e.g. a 2FA enrollment token) that may still call this route.
    public let scopes: Set<String>
    /// "core" or the owning plugin's name.
    public let owner: String
    public let summary: String
    public let handler: RouteHandler

    public init(
        _ method: HTTPRequest.Method, _ pattern: String, access: Access, scopes: Set<String> = [], owner: String = "core",
        summary: String = "", handler: @escaping RouteHandler
    ) {
        self.method = method
        self.pattern = RoutePattern.normalize(pattern)
        self.access = access
        self.scopes = scopes
        self.owner = owner
        self.summary = summary
        self.handler = handler
    }
}

extension Route {
    /// The same route, publishing `event` (an empty object) on the host's event bus after each
    /// successful (2xx) answer to a method other than GET.
    func publishing(_ event: String, _ host: HostContext) -> Route {
        if method == .get || method == .head { return self }
        let inner = handler
        return Route(method, pattern, access: access, scopes: scopes, owner: owner, summary: summary) { call in
            let response = try await inner(call)
            if (200..<300).contains(response.status.code) { host.events.publish(event, [:]) }
            return response
        }
    }
}

/// Path patterns look like Tactical RMM's: `/agents/<agent_id>/history/`.
enum RoutePattern {
    enum Segment: Hashable { case literal(String), parameter(String) }

    static func normalize(_ pattern: String) -> String {
        var path = pattern.hasPrefix("/") ? pattern : "/" + pattern
        if !path.hasSuffix("/") { path += "/" }
        return path
    }

    static func segments(_ pattern: String) -> [Segment] {
        pattern.split(separator: "/", omittingEmptySubsequences: true).map { part in
            if part.hasPrefix("<"), part.hasSuffix(">") {
                var name = part.dropFirst().dropLast()
                // Accept Django-style converters too: <int:pk> names the parameter "pk".
                if let colon = name.firstIndex(of: ":") { name = name[name.index(after: colon)...] }
                return .parameter(String(name))
            }
            return .literal(String(part))
        }
    }

    /// A valid pattern: absolute, parameters named with [a-z0-9_], no empty names.
    static func validate(_ pattern: String) -> String? {
        guard pattern.hasPrefix("/") else { return "route pattern \(pattern) must start with '/'" }
        for segment in segments(pattern) {
            if case .parameter(let name) = segment {
                if name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                    return "route pattern \(pattern) has a bad parameter name '\(name)'"
                }
            }
        }
        return nil
    }
}
