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
    /// The body limit of routes anyone may call: their callers are not known, so they get
    /// little (`server.max_anonymous_body_bytes`).
    let maxAnonymousBodyBytes: Int
    /// Whose X-Forwarded-For is believed (only when configured behind a proxy).
    let trustForwardedFor: Bool
    let trustedProxies: TrustedProxies

    /// A line per request at info (`log.requests`).
    let logRequests: Bool

    public init(
        authenticator: Authenticator, metrics: MetricsRegistry, logger: Logger, maxBodyBytes: Int, maxAnonymousBodyBytes: Int = 64 * 1024,
        trustForwardedFor: Bool = false, trustedProxies: TrustedProxies = .none, logRequests: Bool = false
    ) {
        self.logRequests = logRequests
        self.authenticator = authenticator
        self.metrics = metrics
        self.logger = logger
        self.maxBodyBytes = maxBodyBytes
        self.maxAnonymousBodyBytes = min(maxAnonymousBodyBytes, maxBodyBytes)
        self.trustForwardedFor = trustForwardedFor
        self.trustedProxies = trustedProxies
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
        var response: Response
        var bodyRead = false
        var caller: String?
        switch lookup {
        case .notFound:
            response = Responses.detail("Not found: no route \(path). The API lists its routes at /api/schema/.", status: .notFound)
        case .methodNotAllowed(let allowed):
            var r = Responses.detail("Method \(request.method.rawValue) is not allowed on \(path).", status: .methodNotAllowed)
            r.headers[.allow] = allowed.map(\.rawValue).sorted().joined(separator: ", ")
            response = r
        case .found(let route, let params):
            routeLabel = route.pattern
            (response, bodyRead, caller) = await serve(route, params: params, request: request, context: context)
        }
        if !bodyRead, response.headers[.connection] == nil, Self.announcesBody(request) {
            // A body that was refused is not read to the end to find the next request: the
            // connection ends after this answer (the listener's ConnectionGuard closes it).
            response.headers[.connection] = "close"
        }
        let duration = ContinuousClock.now - start
        metrics.recordRequest(route: routeLabel, method: request.method.rawValue, status: Int(response.status.code), duration: duration)
        if logRequests {
            // The path without its query: a query may carry a token.
            logger.info(
                "request",
                metadata: [
                    "method": "\(request.method.rawValue)", "route": "\(routeLabel)", "path": "\(path)", "user": "\(caller ?? "-")",
                    "status": "\(response.status.code)", "latency_ms": "\(Self.milliseconds(duration))",
                    "address": "\(sourceIP(request, context))", "request": "\(context.id)",
                ])
        }
        return response
    }

    /// Milliseconds with one decimal, for the request log.
    static func milliseconds(_ duration: Duration) -> String {
        let tenths = duration.components.seconds * 10_000 + duration.components.attoseconds / 100_000_000_000_000
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// The answer, whether the request's body was read to its end, and who called (the
    /// operator's username or the agent's id; nil when anonymous or not authenticated).
    private func serve(_ route: Route, params: [String: String], request: Request, context: Context) async -> (Response, Bool, String?) {
        var request = request
        let requestID = context.id
        var bodyRead = false
        var caller: String?
        let response: Response
        do {
            // Who is calling comes from the head alone: a body is read only for a caller who
            // may call the route, and an anonymous caller gets the small limit.
            let principal = try await authorize(route, headers: request.headers)
            caller = principal?.name
            let (limit, setting) =
                route.access == .anonymous
                ? (maxAnonymousBodyBytes, "server.max_anonymous_body_bytes") : (maxBodyBytes, "server.max_body_bytes")
            if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
                throw Self.tooLarge(limit, setting)
            }
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: limit)
            } catch let error as Hummingbird.HTTPError where error.status == .contentTooLarge {
                throw Self.tooLarge(limit, setting)
            } catch is NIOTooManyBytesError {
                throw Self.tooLarge(limit, setting)
            } catch {
                // The client stopped sending before the end of its body (or framed it wrongly):
                // its mistake, not ours, so a 400 and no error-level log line.
                throw APIError.badRequest(
                    "The request body ended before the length it announced (or its framing is invalid); send the whole body.")
            }
            bodyRead = true
            let call = Call(
                method: request.method, path: request.uri.path, route: route.pattern,
                query: Self.queryParameters(request.uri), headers: request.headers, body: body, params: params,
                principal: principal, sourceIP: sourceIP(request, context), requestID: requestID,
                rawQuery: request.uri.query ?? "")
            response = try await route.handler(call)
        } catch let error as APIError {
            response = Responses.error(error)
        } catch let error as DatabaseError {
            if case .unavailable = error {
                logger.error("database unavailable", metadata: ["request": "\(requestID)", "error": "\(error)"])
                response = Responses.detail("The database is unavailable; try again shortly.", status: .serviceUnavailable)
            } else {
                logger.error("database error", metadata: ["request": "\(requestID)", "route": "\(route.pattern)", "error": "\(error)"])
                response = Responses.detail("Internal error (request \(requestID)).", status: .internalServerError)
            }
        } catch {
            logger.error("unhandled error", metadata: ["request": "\(requestID)", "route": "\(route.pattern)", "error": "\(error)"])
            response = Responses.detail("Internal error (request \(requestID)).", status: .internalServerError)
        }
        return (response, bodyRead, caller)
    }

    private static func tooLarge(_ limit: Int, _ setting: String) -> APIError {
        APIError(.contentTooLarge, "The request body is larger than the limit of \(limit) bytes (\(setting)).")
    }

    /// Whether the request announced a body (which, if not collected, is still unread).
    static func announcesBody(_ request: Request) -> Bool {
        if request.headers[.transferEncoding] != nil { return true }
        if let length = request.headers[.contentLength], length != "0" { return true }
        return false
    }

    private func authorize(_ route: Route, headers: HTTPFields) async throws -> Principal? {
        if route.access == .anonymous { return nil }
        guard let principal = try await authenticator.authenticate(headers, access: route.access) else {
            throw APIError.unauthenticated
        }
        if case .user(let user) = principal {
            // "*" admits every limited token but an installer's: that one may have been minted
            // for anyone holding a deployment link, and reaches only the enrollment routes.
            if let scope = user.limitedScope, !route.scopes.contains(scope), !route.scopes.contains("*") || scope == InstallerTokens.scope {
                throw APIError(
                    .forbidden, "This token is limited to '\(scope)' and cannot call \(route.pattern). Finish that step, then log in again."
                )
            }
            if case .permission(let name) = route.access, !user.has(name) {
                throw APIError(.forbidden, "You do not have permission to perform this action (needs \(name)).")
            }
        }
        return principal
    }

    private func sourceIP(_ request: Request, _ context: Context) -> String {
        let peer = context.remoteAddress?.ipAddress ?? ""
        guard trustForwardedFor else { return peer }
        return trustedProxies.clientAddress(peer: peer, forwardedFor: request.headers[values: Self.forwardedFor])
    }

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    static func queryParameters(_ uri: URI) -> [String: String] {
        guard let query = uri.query, !query.isEmpty else { return [:] }
        var result: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[0])
            let value =
                parts.count > 1
                ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[1])) : ""
            result[key] = value
        }
        return result
    }
}
