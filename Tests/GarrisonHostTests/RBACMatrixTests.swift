import Foundation
import HTTPTypes
import Testing
@testable import GarrisonHost

/// The proof that no permission is worth more than its name (docs/compatibility.md §3.1): every route of the live schema (core and every shipped
/// plugin), every method, called by five callers (no credentials; a role with every
/// permission but the route's; a role scoped to client A, on client B's objects and on A's;
/// a superuser), each answer checked against RBACRoutes' table. A route the table does not
/// know fails the test, so a new route cannot skip the matrix. All mismatches are reported
/// at once, one line each.
@Suite struct RBACMatrixTests {
    /// The shipped plugins (Plugins/, not the examples), as plugins.d would enable them.
    static func shippedPlugins() throws -> PluginFolder { try PluginFolder.shippedPlugins(twoFactor: "window = 1") }

    struct Route: Hashable {
        let method: String
        let path: String
        let access: String
        var key: String { "\(method) \(path)" }
    }

    /// Every (method, path) of the OpenAPI document with its x-garrison-permission.
    static func routes(_ schema: JSON) -> [Route] {
        var routes: [Route] = []
        for (path, operations) in schema["paths"]?.objectValue ?? [:] {
            for (method, operation) in operations.objectValue ?? [:] {
                routes.append(
                    Route(method: method.uppercased(), path: path, access: operation["x-garrison-permission"]?.stringValue ?? "?"))
            }
        }
        return routes.sorted { ($0.path, $0.method) < ($1.path, $1.method) }
    }

    @Test func everyRoute_answersEveryCaller_asItsScopeAndPermissionSay() async throws {
        let folder = try Self.shippedPlugins()
        defer { folder.cleanUp() }
        try await TestHost.with(configure: { config in
            config.pluginsDirectory = folder.path
            config.natsEnabled = true
            config.databasePoolSize = 8
            config.pluginCallTimeoutMS = 20_000
        }) { host in
            let supervisor = try #require(host.server.bus?.supervisor)
            let world = try await RBACWorld.make(host, bus: supervisor.url)
            defer { world.stop() }
            let schema = try await host.request(.get, "/api/schema/", as: .token(world.superToken))
            let routes = Self.routes(schema.json)
            #expect(routes.count > 100, "the schema lists every route: \(schema.status) \(schema.text.prefix(200))")

            let table = Dictionary(RBAC.cases.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            var mismatches: [String] = []
            let known = Set(routes.map(\.key))
            for route in routes where table[route.key] == nil {
                mismatches.append(
                    "\(route.key) [\(route.access)]: no fixture or expectation in RBACRoutes; add one (a new route cannot skip the matrix)")
            }
            for key in table.keys.sorted() where !known.contains(key) {
                mismatches.append("\(key): in RBACRoutes but not in the schema (a stale entry, or a plugin did not load)")
            }
            #expect(RBAC.cases.count == table.count, "RBACRoutes names a route twice")

            let started = ContinuousClock.now
            var calls = 0
            for route in routes {
                guard let entry = table[route.key] else { continue }
                for who in RBAC.Who.allCases {
                    calls += 1
                    if let mismatch = await Self.run(entry, route, who, world) { mismatches.append(mismatch) }
                }
                // A list must hold one of B's objects for the superuser, or hiding them from
                // the scoped caller proves nothing.
                if case .list = entry.kind, let problem = await Self.listHoldsB(entry, route, world) { mismatches.append(problem) }
            }
            let elapsed = ContinuousClock.now - started
            print(
                "RBAC matrix: \(routes.count) routes and methods in the schema, \(routes.count - Set(routes.map(\.key)).subtracting(table.keys).count) covered, "
                    + "\(calls) calls in \(elapsed.formatted(.units(allowed: [.seconds], fractionalPart: .show(length: 1)))), \(mismatches.count) mismatches"
            )
            #expect(
                mismatches.isEmpty,
                Comment(
                    rawValue: "\(mismatches.count) RBAC mismatches (method path caller: expected, got, body):\n"
                        + mismatches.joined(separator: "\n")))
        }
    }

    /// The credential `who` calls with: the matrix's own users, or new ones for a route that
    /// changes the caller's own account.
    static func credential(_ entry: RBAC.Case, _ route: Route, _ who: RBAC.Who, _ world: RBACWorld) async throws -> (
        TestHost.Credential, Int?
    ) {
        if entry.freshCallers {
            guard let (token, id) = try await world.freshCaller(who) else { return (.none, nil) }
            return (.token(token), id)
        }
        let agentRoute: Bool = {
            if case .agent = entry.kind { return true }; return false
        }()
        switch who {
        case .anonymous: return (.none, nil)
        case .noPermission:
            let (token, id) =
                agentRoute || route.access == "authenticated" || route.access == "anonymous"
                ? try await world.bare() : try await world.noPermission(route.access)
            return (.token(token), id)
        case .otherScope: return agentRoute ? (.token(world.b.agentToken), nil) : (.token(world.scopedToken), world.scopedUserID)
        case .ownScope: return agentRoute ? (.token(world.a.agentToken), nil) : (.token(world.scopedToken), world.scopedUserID)
        case .superuser: return (.token(world.superToken), nil)
        }
    }

    /// One call; a line describing the mismatch, or nil.
    static func run(_ entry: RBAC.Case, _ route: Route, _ who: RBAC.Who, _ world: RBACWorld) async -> String? {
        let expected = entry.expectation(who, access: route.access)
        let reason = entry.overrides[who] != nil && !entry.reason.isEmpty ? " (expected because \(entry.reason))" : ""
        do {
            let (credential, userID) = try await credential(entry, route, who, world)
            let req = try await entry.build(world, RBAC.Ask(who: who, side: who.side, userID: userID, credential: credential))
            let reply = try await world.host.request(
                HTTPRequest.Method(rawValue: route.method)!, req.path, as: credential, json: req.json, rawBody: req.raw)
            if expected.holds(reply.status, reply.text, markers: world.markersB) { return nil }
            let leaked = world.markersB.filter { reply.text.contains($0) }
            let excerpt = reply.text.replacingOccurrences(of: "\n", with: " ").prefix(160)
            return
                "\(route.method) \(req.path) \(who.rawValue): expected \(expected), got \(reply.status)\(leaked.isEmpty ? "" : " showing B's \(leaked)") \(excerpt)\(reason)"
        } catch {
            return "\(route.key) \(who.rawValue): fixture error: \(error)"
        }
    }

    /// The superuser's answer to the scoped caller's B-side request holds one of B's markers.
    static func listHoldsB(_ entry: RBAC.Case, _ route: Route, _ world: RBACWorld) async -> String? {
        do {
            let credential = TestHost.Credential.token(world.superToken)
            let req = try await entry.build(world, RBAC.Ask(who: .superuser, side: .b, userID: nil, credential: credential))
            let reply = try await world.host.request(
                HTTPRequest.Method(rawValue: route.method)!, req.path, as: credential, json: req.json, rawBody: req.raw)
            if world.markersB.contains(where: { reply.text.contains($0) }) { return nil }
            return
                "\(route.method) \(req.path) superuser (fixture check): the list holds none of B's objects, so hiding them proves nothing: \(reply.status) \(reply.text.prefix(160))"
        } catch {
            return "\(route.key) superuser (fixture check): \(error)"
        }
    }
}
