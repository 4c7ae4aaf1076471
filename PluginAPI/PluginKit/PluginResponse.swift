#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a route handler answers.
public struct PluginResponse: Sendable, Equatable {
    /// 200...599; anything else is sent as 500.
    public var status: Int
    /// Sent as Content-Type; empty sends none. The host owns that header,
    /// so it is a field here and not one of `headers`.
    public var contentType: String
    /// Extra response headers (not Content-Type, Content-Length,
    /// Transfer-Encoding or Connection, which the host controls).
    public var headers: [String: String]
    public var body: Data

    public init(
        status: Int = 200, contentType: String = "", headers: [String: String] = [:],
        body: Data = Data()
    ) {
        self.status = status
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }

    /// `value` encoded as JSON (keys sorted).
    public static func json(_ value: some Encodable, status: Int = 200) throws -> PluginResponse {
        PluginResponse(
            status: status, contentType: "application/json", body: try JSONCoding.encode(value))
    }

    public static func text(_ text: String, status: Int = 200) -> PluginResponse {
        PluginResponse(status: status, contentType: "text/plain; charset=utf-8", body: Data(text.utf8))
    }

    public static func empty(status: Int = 204) -> PluginResponse {
        PluginResponse(status: status)
    }

    /// `{"detail": detail}`, the error shape of the host's own API.
    public static func detail(_ detail: String, status: Int) -> PluginResponse {
        // Encoding a [String: String] cannot fail.
        (try? json(["detail": detail], status: status))
            ?? PluginResponse(status: status, contentType: "application/json", body: Data())
    }

    static let internalError = detail("internal error", status: 500)

    /// The answer for an error a handler threw, and the line to log for it:
    /// PluginHTTPError is the handler's own answer and needs no log line;
    /// anything else is a bug or an outage the client must not see details of.
    static func forError(_ error: any Error) -> (response: PluginResponse, log: String?) {
        if let http = error as? PluginHTTPError, (200...599).contains(http.status) {
            return (detail(http.detail, status: http.status), nil)
        }
        return (internalError, "handler failed: \(error)")
    }
}
