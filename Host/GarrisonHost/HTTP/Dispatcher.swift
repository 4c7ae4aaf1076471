import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The one responder behind the listener. Core routes and plugin routes share this path:
/// route lookup, body limit, authentication, permission, handler, error face, metrics.
public final class Dispatcher: HTTPResponder, Sendable {
    public typealias Context = GarrisonRequestContext

    private let table = NIOLockedValueBox(RouteTable())
    let authenticator: Authenticator
    let metrics: MetricsRegistry
    let logger: Logger
    let maxBodyBytes: Int
    /// Proxies whose X-Forwarded-For is believed (only when configured behind one).
    let trustForwardedFor: Bool

    public init(authenticator: Authenticator, metrics: MetricsRegistry, logger: Logger, maxBodyBytes: Int, trustForwardedFor: Bool = false) {
        self.authenticator = authenticator
        self.metrics = metrics
        self.logger = logger
        self.maxBodyBytes = maxBodyBytes
        self.trustForwardedFor = trustForwardedFor
    }

    public var routes: [Route] { table.withLockedValue { $0.routes } }

    /// Adds routes atomically: all of them or, on a conflict, none.
    public func register(_ routes: [Route]) throws(RouteConflict) {
        let failure: RouteConflict? = table.withLockedValue { table in
            do throws(RouteConflict) {
                table = try table.adding(routes)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    public func unregister(owner: String) {
        table.withLockedValue { $0 = $0.removing(owner: owner) }
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let start = ContinuousClock.now
        let path = request.uri.path
        let lookup = table.withLockedValue { $0 }.lookup(request.method, path[...])
        var routeLabel = "unmatched"
        let response: Response
        switch lookup {
        case .notFound:
            response = Responses.detail("Not found: no route \(path). The API lists its routes at /api/schema/.", status: .notFound)
        case .methodNotAllowed(let allowed):
            var r = Responses.detail("Method \(request.method.rawValue) is not allowed on \(path).", status: .methodNotAllowed)
            r.headers[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            response = r
        case .found(let route, let params):
            routeLabel = route.pattern
            response = await serve(route, params: params, request: request, context: context)
        }
        metrics.recordRequest(route: routeLabel, method: request.method.rawValue, status: Int(response.status.code), duration: ContinuousClock.now - start)
        return response
    }

    private func serve(_ route: Route, params: [String: String], request: Request, context: Context) async -> Response {
        var request = request
        let requestID = context.id
        let tooLarge = APIError(.contentTooLarge, "The request body is larger than the limit of \(maxBodyBytes) bytes (server.max_body_bytes).")
        do {
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: maxBodyBytes)
            } catch let error as Hummingbird.HTTPError where error.status == .contentTooLarge {
                throw tooLarge
            } catch is NIOTooManyBytesError {
                throw tooLarge
            }
            let principal = try await authorize(route, headers: request.headers)
            let call = Call(
                method: request.method, path: request.uri.path, route: route.pattern,
                query: Self.queryParameters(request.uri), headers: request.headers, body: body, params: params,
                principal: principal, sourceIP: sourceIP(request, context), requestID: requestID,
                rawQuery: request.uri.query ?? "")
            return try await route.handler(call)
        } catch let error as APIError {
            return Responses.error(error)
        } catch let error as DatabaseError {
            if case .unavailable = error {
                logger.error("database unavailable", metadata: ["request": "\(requestID)", "error": "\(error)"])
                return Responses.detail("The database is unavailable; try again shortly.", status: .serviceUnavailable)
            }
            logger.error("database error", metadata: ["request": "\(requestID)", "route": "\(route.pattern)", "error": "\(error)"])
            return Responses.detail("Internal error (request \(requestID)).", status: .internalServerError)
        } catch {
            logger.error("unhandled error", metadata: ["request": "\(requestID)", "route": "\(route.pattern)", "error": "\(error)"])
            return Responses.detail("Internal error (request \(requestID)).", status: .internalServerError)
        }
    }

    private func authorize(_ route: Route, headers: HTTPFields) async throws -> Principal? {
        if route.access == .anonymous { return nil }
        guard let principal = try await authenticator.authenticate(headers, access: route.access) else {
            throw APIError.unauthenticated
        }
        if case .user(let user) = principal {
            if let scope = user.limitedScope, !route.scopes.contains(scope), !route.scopes.contains("*") {
                throw APIError(.forbidden, "This token is limited to '\(scope)' and cannot call \(route.pattern). Finish that step, then log in again.")
            }
            if case .permission(let name) = route.access, !user.has(name) {
                throw APIError(.forbidden, "You do not have permission to perform this action (needs \(name)).")
            }
        }
        return principal
    }

    private func sourceIP(_ request: Request, _ context: Context) -> String {
        if trustForwardedFor, let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!] {
            return forwarded.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        }
        return context.remoteAddress?.ipAddress ?? ""
    }

    static func queryParameters(_ uri: URI) -> [String: String] {
        guard let query = uri.query, !query.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[1])) : ""
            result[key] = value
        }
        return result
    }
}
