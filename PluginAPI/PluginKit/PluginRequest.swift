import CGarrisonPlugin
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One HTTP request to a plugin route: a copy of everything the host lent,
/// so it stays valid in the async handler after the C callback returned.
public struct PluginRequest: Sendable {
    public let method: HTTPMethod
    /// As sent, still percent-encoded, without the query.
    public let path: String
    /// "a=1&b=2", without "?".
    public let query: String
    public let body: Data
    /// Path parameters, percent-decoded: "/hello/<pk>/" gives ["pk": "3"].
    public let params: [String: String]
    /// Who is calling: {"kind":"user","username":..,"user_id":..,
    /// "is_superuser":..} or {"kind":"agent","agent_id":..}.
    public let principal: JSON
    /// The host's id for this request; put it in log lines about it.
    public let requestID: String
    public let sourceIP: String

    let call: CallContext?
    let headers: [String: String]

    /// For unit tests of handlers: a request that no host sent.
    public init(
        method: HTTPMethod = .get, path: String = "/", query: String = "", body: Data = Data(),
        params: [String: String] = [:], principal: JSON = .null, requestID: String = "",
        sourceIP: String = "", headers: [String: String] = [:]
    ) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.params = params
        self.principal = principal
        self.requestID = requestID
        self.sourceIP = sourceIP
        self.headers = Dictionary(
            headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, b in "\(a), \(b)" })
        self.call = nil
    }

    init(copying req: UnsafePointer<garrison_request>, call: CallContext) {
        let r = req.pointee
        method = HTTPMethod(rawValue: r.method.string)
        path = r.path.string
        query = r.query.string
        body = r.body.data
        // The host guarantees a JSON object of strings; an empty map is the
        // safe reading of anything else.
        params = (try? JSON(parsing: r.params_json.data))?.objectValue?.compactMapValues(\.stringValue) ?? [:]
        principal = (try? JSON(parsing: r.principal_json.data)) ?? .null
        requestID = r.request_id.string
        sourceIP = r.source_ip.string
        headers = [:]
        self.call = call
    }

    /// A request header (case-insensitive; repeated lines joined with ", "),
    /// or nil. Only while the handler runs: the host drops the request's
    /// headers once the response is sent.
    public func header(_ name: String) -> String? {
        if let call { return call.header(name) }
        return headers[name.lowercased()]
    }

    /// Gives this request its own deadline, counted from now, in place of the
    /// host's plugins.call_timeout_ms: for a route that waits on the agent for
    /// as long as the operator asked (call_set_timeout, ABI 1.2). Throws
    /// `.unsupported` on an older host, `.invalid` outside 1 ms ... 25 h.
    /// A request no host sent (unit tests) accepts any valid timeout.
    public func setTimeout(_ timeout: Duration) throws {
        let milliseconds = timeout.wholeMilliseconds
        guard milliseconds >= 1, milliseconds <= Int64(GARRISON_CALL_TIMEOUT_MAX_MS) else {
            throw PluginError(.invalid, "setTimeout: \(timeout) is outside 1 ms ... \(GARRISON_CALL_TIMEOUT_MAX_MS) ms")
        }
        guard let call else { return }
        guard let status = call.setTimeout(milliseconds: UInt32(milliseconds)) else {
            throw PluginError(.unsupported, "setTimeout needs a host with call_set_timeout (ABI 1.2)")
        }
        guard status == .ok else { throw PluginError(status, "call_set_timeout refused") }
    }

    /// The body decoded as JSON; a malformed body throws a 400 naming the
    /// problem, so handlers can simply `try req.json()`.
    public func json<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        do {
            return try JSONCoding.decoder.decode(T.self, from: body)
        } catch {
            throw PluginHTTPError(400, "invalid request body: \(JSONCoding.describe(error))")
        }
    }
}
