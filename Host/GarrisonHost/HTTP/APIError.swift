import Hummingbird

/// An error that knows its HTTP face: status and the `{"detail": ...}` body operators see.
/// Anything thrown that is not one of these becomes a 500 whose real cause goes only to the log.
public struct APIError: Error, Sendable, CustomStringConvertible {
    public let status: HTTPResponse.Status
    public let detail: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    public var description: String { "\(status.code) \(detail)" }

    public static func badRequest(_ detail: String) -> APIError { .init(.badRequest, detail) }
    public static func notFound(_ detail: String) -> APIError { .init(.notFound, detail) }
    public static func forbidden(_ detail: String) -> APIError { .init(.forbidden, detail) }
    public static func conflict(_ detail: String) -> APIError { .init(.conflict, detail) }
    public static let unauthenticated = APIError(
        .unauthorized,
        "Authentication credentials were not provided or are invalid. Send 'Authorization: Token <token>' or 'X-API-KEY: <key>'.")
    public static func unavailable(_ detail: String) -> APIError { .init(.serviceUnavailable, detail) }
}
