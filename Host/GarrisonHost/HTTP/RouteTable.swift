import Hummingbird

/// An immutable routing trie. Registration builds a new table and swaps it in, so a lookup
/// never takes a lock and plugins can be enabled or disabled while requests are in flight.
public struct RouteTable: Sendable {
    final class Node: @unchecked Sendable {
        var literals: [String: Node] = [:]
        var parameter: (name: String, node: Node)?
        var routes: [HTTPRequest.Method: Route] = [:]
    }

    public enum Lookup {
        case found(Route, [String: String])
        case methodNotAllowed([HTTPRequest.Method])
        case notFound
    }

    public private(set) var routes: [Route] = []
    private var root = Node()

    public init(_ routes: [Route] = []) {
        for route in routes { try? insertMutating(route) }
    }

    /// Returns a new table with `route` added, or an error naming the existing owner.
    public func adding(_ route: Route) throws(RouteConflict) -> RouteTable {
        var copy = RouteTable(routes)
        try copy.insertMutating(route)
        return copy
    }

    public func adding(_ newRoutes: [Route]) throws(RouteConflict) -> RouteTable {
        var copy = RouteTable(routes)
        for route in newRoutes { try copy.insertMutating(route) }
        return copy
    }

    public func removing(owner: String) -> RouteTable {
        RouteTable(routes.filter { $0.owner != owner })
    }

    private mutating func insertMutating(_ route: Route) throws(RouteConflict) {
        var node = root
        for segment in RoutePattern.segments(route.pattern) {
            switch segment {
            case .literal(let text):
                if let next = node.literals[text] {
                    node = next
                } else {
                    let next = Node(); node.literals[text] = next; node = next
                }
            case .parameter(let name):
                if let existing = node.parameter {
                    node = existing.node
                } else {
                    let next = Node(); node.parameter = (name, next); node = next
                }
            }
        }
        if let existing = node.routes[route.method] {
            throw RouteConflict(method: route.method, pattern: route.pattern, owner: existing.owner, newOwner: route.owner)
        }
        node.routes[route.method] = route
        routes.append(route)
    }

    public func lookup(_ method: HTTPRequest.Method, _ path: Substring) -> Lookup {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard let node = match(root, parts[...]) else { return .notFound }
        if let route = node.routes[method] ?? (method == .head ? node.routes[.get] : nil) {
            return .found(route, Self.bind(route.pattern, parts))
        }
        return .methodNotAllowed(Array(node.routes.keys))
    }

    /// Names come from the matched route itself, so two routes may name the same position differently.
    private static func bind(_ pattern: String, _ parts: [Substring]) -> [String: String] {
        var params: [String: String] = [:]
        for (segment, part) in zip(RoutePattern.segments(pattern), parts) {
            if case .parameter(let name) = segment {
                params[name] = String(part).removingPercentEncoding ?? String(part)
            }
        }
        return params
    }

    /// Literal segments win over parameters; backtracks so `/agents/history/` and
    /// `/agents/<agent_id>/` can live side by side.
    private func match(_ node: Node, _ parts: ArraySlice<Substring>) -> Node? {
        guard let head = parts.first else { return node.routes.isEmpty ? nil : node }
        let rest = parts.dropFirst()
        if let next = node.literals[String(head)], let found = match(next, rest) { return found }
        if let next = node.parameter?.node { return match(next, rest) }
        return nil
    }
}

public struct RouteConflict: Error, Sendable, CustomStringConvertible {
    public let method: HTTPRequest.Method
    public let pattern: String
    public let owner: String
    public let newOwner: String
    public var description: String {
        "route \(method.rawValue) \(pattern) from \(newOwner) is already registered by \(owner)"
    }
}
