import CGarrisonPlugin
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// One request to a plugin route: the `garrison_call*` the plugin answers through. It lives
/// while the route function runs and, after GARRISON_PENDING, until the plugin answers or
/// plugin_shutdown returns (the host's `openAnswers` keeps it).
final class PluginCall: PluginAnswerHolder {
    let host: LoadedPlugin
    let request: Call
    let answer = PluginAnswer<Response>()

    struct Extras: Sendable {
        var headers = HTTPFields()
        /// Header and parameter values handed to the plugin: borrowed until call_respond,
        /// so they live as long as the call.
        var pinned: [PinnedBytes] = []
        /// call_set_timeout's deadline, and whether the host's wait has started (then a new
        /// deadline replaces the armed one at once).
        var timeout: Duration?
        var armed = false
        /// The status and body as the plugin gave them, for a call the host itself makes
        /// (an agent member's read or write), which reads the answer rather than sending it.
        var raw: (status: Int, body: [UInt8])?
    }
    private let extras = NIOLockedValueBox(Extras())

    func withExtras<T>(_ body: (inout Extras) -> T) -> T { extras.withLockedValue(body) }

    /// Whether the host reads the answer itself (`Extras.raw`) instead of sending it on.
    let keepsRaw: Bool

    init(host: LoadedPlugin, request: Call, keepsRaw: Bool = false) {
        self.host = host
        self.request = request
        self.keepsRaw = keepsRaw
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    /// The call behind a handle. Valid per call_respond's rule in the header; a plugin that
    /// uses a handle after it ended breaks that rule and the host cannot detect it.
    static func from(_ handle: OpaquePointer?) -> PluginCall? {
        guard let handle else { return nil }
        return Unmanaged<PluginCall>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    func cancelByHost() { answer.cancel() }

    /// Calls the route function with a `garrison_request` whose bytes live until it returns.
    /// Small fields share one buffer; the body is lent straight from the request's buffer.
    func invoke(_ callback: PluginCallback<garrison_route_fn>) -> Int32 {
        var text: [UInt8] = []
        text.reserveCapacity(256)
        func append(_ string: String) -> Range<Int> {
            let start = text.count
            text.append(contentsOf: string.utf8)
            return start..<text.count
        }
        let method = append(request.method.rawValue)
        let path = append(request.path)
        let query = append(request.rawQuery)
        let params = append(request.params.isEmpty ? "{}" : JSONText.stringObject(request.params))
        let principal = append(Self.principalJSON(request.principal))
        let requestID = append(request.requestID)
        let sourceIP = append(request.sourceIP)
        let handle = self.handle
        return text.withUnsafeBufferPointer { base in
            func bytes(_ range: Range<Int>) -> garrison_bytes {
                garrison_bytes(ptr: base.baseAddress.map { $0 + range.lowerBound }, len: range.count)
            }
            return request.body.withUnsafeReadableBytes { body in
                var pluginRequest = garrison_request(
                    struct_size: UInt32(MemoryLayout<garrison_request>.size),
                    method: bytes(method), path: bytes(path), query: bytes(query),
                    body: garrison_bytes(ptr: body.baseAddress?.assumingMemoryBound(to: UInt8.self), len: body.count),
                    params_json: bytes(params), principal_json: bytes(principal),
                    request_id: bytes(requestID), source_ip: bytes(sourceIP))
                return callback.function(callback.user.pointer, &pluginRequest, handle)
            }
        }
    }

    static func principalJSON(_ principal: Principal?) -> String {
        switch principal {
        case .user(let user)?:
            // The role's client/site scope, so plugins can hide what the role may not see.
            let clients = user.scope.clients.sorted().map(String.init).joined(separator: ",")
            let sites = user.scope.sites.sorted().map(String.init).joined(separator: ",")
            // 1.3: the role's permissions, for a route that needs a second one (a superuser's
            // list stays empty: is_superuser already says it holds them all).
            let permissions = user.isSuperuser ? "" : user.permissions.sorted().map(JSONText.quoted).joined(separator: ",")
            return
                "{\"kind\":\"user\",\"username\":\(JSONText.quoted(user.username)),\"user_id\":\(user.id),\"is_superuser\":\(user.isSuperuser),"
                + "\"can_view_clients\":[\(clients)],\"can_view_sites\":[\(sites)],\"permissions\":[\(permissions)]}"
        case .agent(let agent)?:
            return "{\"kind\":\"agent\",\"agent_id\":\(JSONText.quoted(agent.agentID))}"
        case nil:
            return "{\"kind\":\"anonymous\"}"
        }
    }

    // MARK: what the plugin calls (through HostAPITable)

    func header(_ name: garrison_bytes, _ out: UnsafeMutablePointer<garrison_bytes>?) -> Int32 {
        out?.pointee = .empty
        guard let out, name.len > 0, let text = name.string else { return GARRISON_ERR_INVALID }
        guard answer.isOpen else { return GARRISON_ERR_PHASE }
        guard let fieldName = HTTPField.Name(text) else { return GARRISON_ERR_NOT_FOUND }
        let values = request.headers[values: fieldName]
        if values.isEmpty { return GARRISON_ERR_NOT_FOUND }
        out.pointee = pin(values.joined(separator: ", "))
        return GARRISON_OK
    }

    func param(_ name: garrison_bytes, _ out: UnsafeMutablePointer<garrison_bytes>?) -> Int32 {
        out?.pointee = .empty
        guard let out else { return GARRISON_ERR_INVALID }
        guard answer.isOpen else { return GARRISON_ERR_PHASE }
        guard let text = name.string, let value = request.params[text] else { return GARRISON_ERR_NOT_FOUND }
        out.pointee = pin(value)
        return GARRISON_OK
    }

    /// Headers the host sets itself cannot be overridden: framing belongs to the host.
    private static let reservedHeaders: Set<String> = ["content-length", "content-type", "transfer-encoding", "connection"]

    func setHeader(_ name: garrison_bytes, _ value: garrison_bytes) -> Int32 {
        guard let nameText = name.string, let valueText = value.string,
            !Self.reservedHeaders.contains(nameText.lowercased()),
            let fieldName = HTTPField.Name(nameText),
            !valueText.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 })
        else { return GARRISON_ERR_INVALID }
        guard answer.isOpen else { return GARRISON_ERR_PHASE }
        extras.withLockedValue { $0.headers.append(HTTPField(name: fieldName, value: valueText)) }
        return GARRISON_OK
    }

    func respond(_ status: Int32, _ contentType: garrison_bytes, _ body: garrison_bytes) -> Int32 {
        guard (200...599).contains(status), !body.isMalformed, let contentTypeText = contentType.string,
            !contentTypeText.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A })
        else { return GARRISON_ERR_INVALID }
        var headers = extras.withLockedValue { $0.headers }
        if !contentTypeText.isEmpty { headers[.contentType] = contentTypeText }
        headers[.contentLength] = String(body.len)
        let response = Response(status: .init(code: Int(status)), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body.buffer)))
        if keepsRaw {
            let raw = Array(body.buffer)
            extras.withLockedValue { $0.raw = (Int(status), raw) }
        }
        let code = answer.answer(response)
        if code == GARRISON_ERR_TIMEOUT || code == GARRISON_ERR_CANCELLED {
            // The host answered for the plugin already; the handle ends here.
            host.forget(self)
            host.logger.notice(
                "late response dropped", metadata: ["request": "\(request.requestID)", "status": "\(PluginABI.statusName(code))"])
        }
        return code
    }

    private func pin(_ value: String) -> garrison_bytes {
        let pinned = PinnedBytes(value)
        extras.withLockedValue { $0.pinned.append(pinned) }
        return pinned.bytes
    }
}
