import CGarrisonPlugin
import Foundation
import Synchronization

/// A host function table for testing a plugin without a host: a real garrison_host_api whose
/// members are C-convention closures. They find the FakeHost through the garrison_host
/// pointer, which is the FakeHost itself. It records registrations, migrations, queries,
/// events, audits and agent commands; answers routes through call_respond; answers db_query,
/// core_get and agent_request from what the test put in `state` (synchronously: done runs
/// before the call returns, which the ABI allows); and can hand out an older minor's table.
/// It is not a model of the real host -- no permissions, scope, SQL or scheduler -- so a test
/// on it shows what the plugin asks and answers; the in-process host's tests show the rest.
///
///     let fake = FakeHost(settings: #"{"greeting":"hi"}"#)
///     let plugin = try PluginLibrary(path: ".build/debug/libMyPlugin.so")
///     #expect(plugin.start(on: fake) == GARRISON_OK)
///     let answer = try await fake.call("GET", "/my-plugin/")
public final class FakeHost: @unchecked Sendable {
    /// One registration as the plugin made it (raw pointers, only read back by the test).
    public struct Registration: @unchecked Sendable {
        /// "route", "event", "job", "agent", "auth", "agent_member" (1.3).
        public let kind: String
        /// "GET /x/", the event pattern, the job kind, the reply tag.
        public let key: String
        /// A route's permission, and "[scopes]" for a scoped route; an agent member's flags.
        public let scopes: String
        let fn: UnsafeRawPointer
        /// The user data registered with it: a test can check that free_fn released it.
        public let user: UnsafeMutableRawPointer?
        let free: garrison_free_fn?
    }

    public struct State: Sendable {
        public var logs: [(level: Int32, message: String)] = []
        public var registrations: [Registration] = []
        public var migrations: [(version: UInt32, sql: String)] = []
        public var queries: [(sql: String, params: String)] = []
        public var published: [(name: String, json: String)] = []
        public var audits: [String] = []
        /// metric_add: each counter's total, by "<name> <labels_json>".
        public var counters: [String: UInt64] = [:]
        /// Every agent_request and agent_send: (agent_id, the command's JSON).
        public var agentCommands: [(agentID: String, json: String)] = []
        public var registering = true
        /// What db_query answers: (status, data).
        public var dbAnswer: (Int32, String) = (GARRISON_OK, "[]")
        /// What core_get answers, by "<kind>/<id>"; anything else is GARRISON_ERR_NOT_FOUND.
        public var coreObjects: [String: String] = [:]
        /// What agent_request answers, by the command's "func"; anything else is
        /// GARRISON_ERR_UNAVAILABLE (as for an offline agent).
        public var agentAnswers: [String: (Int32, String)] = [:]
        /// The last deadline a route set with call_set_timeout, in milliseconds.
        public var callTimeoutMS: UInt32?
    }

    public let state = Mutex(State())
    public let api: UnsafeMutablePointer<garrison_host_api>
    let settingsBytes: UnsafeMutableBufferPointer<UInt8>

    /// `minor` gives the table of that minor (0 ends before the 1.1 members); `settings` is
    /// the JSON of the plugin's [settings] table.
    public init(settings: String = "{}", minor: UInt16 = UInt16(GARRISON_ABI_MINOR)) {
        settingsBytes = .allocate(capacity: settings.utf8.count)
        _ = settingsBytes.initialize(from: settings.utf8)
        api = .allocate(capacity: 1)
        var t = garrison_host_api()
        t.struct_size = UInt32(
            minor == 0
                ? MemoryLayout<garrison_host_api>.offset(of: \.audit)!
                : minor == 1 ? MemoryLayout<garrison_host_api>.offset(of: \.call_set_timeout)! : MemoryLayout<garrison_host_api>.stride)
        t.abi_major = 1
        t.abi_minor = minor
        FakeHost.fill(&t)
        api.initialize(to: t)
    }

    deinit {
        api.deallocate()
        settingsBytes.deallocate()
    }

    /// The garrison_host pointer to hand to plugin_init.
    public var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ host: OpaquePointer?) -> FakeHost {
        Unmanaged<FakeHost>.fromOpaque(UnsafeRawPointer(host!)).takeUnretainedValue()
    }

    public var logs: [String] { state.withLock { $0.logs.map(\.message) } }
    public var registrations: [Registration] { state.withLock { $0.registrations } }

    /// Ends the registration phase, as the host does when plugin_init returns.
    public func endInit() { state.withLock { $0.registering = false } }

    /// Calls every free_fn once, as the host does after plugin_shutdown.
    public func freeAll() {
        let regs = state.withLock { s in
            defer { s.registrations = [] }
            return s.registrations
        }
        for r in regs { r.free?(r.user) }
    }

    func record(_ r: Registration) -> Int32 {
        state.withLock { s in
            guard s.registering else { return GARRISON_ERR_PHASE }
            if r.kind == "route", s.registrations.contains(where: { $0.kind == "route" && $0.key == r.key }) {
                return GARRISON_ERR_CONFLICT
            }
            s.registrations.append(r)
            return GARRISON_OK
        }
    }

    /// Dispatches one request to the route registered as "METHOD path" and
    /// waits for call_respond.
    public func call(
        _ method: String, _ path: String, body: String = "", params: String = "{}",
        principal: String = #"{"kind":"user","username":"admin","user_id":1,"is_superuser":true}"#
    ) async throws -> FakeCall.Response {
        guard let r = registrations.first(where: { $0.kind == "route" && $0.key == "\(method) \(path)" }) else {
            throw FakeError.noRoute("\(method) \(path)")
        }
        let fn = unsafeBitCast(r.fn, to: garrison_route_fn.self)
        let call = FakeCall(host: self)
        let rc: Int32 = withCStrings([method, path, "", body, params, principal, "req-1", "127.0.0.1"]) { b in
            var req = garrison_request(
                struct_size: UInt32(MemoryLayout<garrison_request>.stride),
                method: b[0], path: b[1], query: b[2], body: b[3], params_json: b[4],
                principal_json: b[5], request_id: b[6], source_ip: b[7])
            return fn(r.user, &req, call.handle)
        }
        guard rc == GARRISON_OK || rc == GARRISON_PENDING else { throw FakeError.status(rc) }
        return try await call.response(timeout: .seconds(10))
    }

    /// Delivers an event to every matching subscriber, synchronously.
    public func publish(_ name: String, _ json: String) {
        for r in registrations where r.kind == "event" {
            let pattern = r.key
            let matches = pattern.hasSuffix("*") ? name.hasPrefix(pattern.dropLast()) : name == pattern
            guard matches else { continue }
            let fn = unsafeBitCast(r.fn, to: garrison_event_fn.self)
            withCStrings([name, json]) { b in fn(r.user, b[0], b[1]) }
        }
    }
}

public enum FakeError: Error {
    case noRoute(String)
    case status(Int32)
    case timeout
}

/// One request's garrison_call: receives call_respond.
public final class FakeCall: @unchecked Sendable {
    public struct Response: Sendable {
        public let status: Int32
        public let contentType: String
        public let body: String
        public let headers: [String: String]
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any]
        }
    }

    struct State {
        var headers: [String: String] = [:]
        var response: Response?
        var responses = 0
    }

    let state = Mutex(State())
    /// The host the request came through (call_set_timeout records there).
    let host: FakeHost?

    init(host: FakeHost? = nil) {
        self.host = host
    }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ call: OpaquePointer?) -> FakeCall {
        Unmanaged<FakeCall>.fromOpaque(UnsafeRawPointer(call!)).takeUnretainedValue()
    }

    func response(timeout: Duration) async throws -> Response {
        let clock = ContinuousClock()
        let end = clock.now + timeout
        while clock.now < end {
            if let r = state.withLock({ $0.response }) { return r }
            try await Task.sleep(for: .milliseconds(2))
        }
        throw FakeError.timeout
    }

    public var responseCount: Int { state.withLock { $0.responses } }
}

/// Lends each string as garrison_bytes for the duration of `body`.
public func withCStrings<R>(_ strings: [String], _ body: ([garrison_bytes]) -> R) -> R {
    let buffers = strings.map { Array($0.utf8) }
    var bytes: [garrison_bytes] = []
    var pinned: [UnsafeMutableBufferPointer<UInt8>] = []
    defer { pinned.forEach { $0.deallocate() } }
    for b in buffers {
        let p = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(b.count, 1))
        _ = p.initialize(from: b)
        pinned.append(p)
        bytes.append(garrison_bytes(ptr: UnsafePointer(p.baseAddress), len: b.count))
    }
    return body(bytes)
}

extension garrison_bytes {
    /// The bytes as UTF-8 text ("" for none).
    public var text: String {
        guard let ptr, len > 0 else { return "" }
        return String(decoding: UnsafeBufferPointer(start: ptr, count: len), as: UTF8.self)
    }
}
