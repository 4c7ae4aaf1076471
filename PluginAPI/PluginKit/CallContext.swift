import CGarrisonPlugin
import Synchronization

/// One in-flight garrison_call. Answers it exactly once, and refuses to
/// touch the handle afterwards, when the host may already have freed it.
final class CallContext: @unchecked Sendable {
    // `call` is only used under `responded`'s lock; the host allows any thread.
    private let call: OpaquePointer
    private let host: PluginHost
    private let responded = Mutex(false)

    init(host: PluginHost, call: OpaquePointer) {
        self.host = host
        self.call = call
    }

    func header(_ name: String) -> String? {
        let callHeader = host.api.required(\.call_header)
        return responded.withLock { done -> String? in
            if done { return nil }
            return host.gate.pass { () -> String? in
                var out = garrison_bytes(ptr: nil, len: 0)
                let rc = name.withGarrisonBytes { callHeader(call, $0, &out) }
                return rc == GARRISON_OK ? out.string : nil
            } ?? nil
        }
    }

    /// call_set_timeout (1.2); nil when the host's table lacks it.
    func setTimeout(milliseconds: UInt32) -> PluginStatus? {
        guard let setTimeout = host.api.optional(\.call_set_timeout) else { return nil }
        return responded.withLock { done -> PluginStatus in
            if done { return .phase }
            return host.gate.pass { PluginStatus(rawValue: setTimeout(call, milliseconds)) } ?? .phase
        }
    }

    /// Sends `response`; later calls do nothing. The lock is held across the
    /// host calls so header() cannot use the handle while it is answered;
    /// the host never blocks in them.
    func respond(_ response: PluginResponse, label: @autoclosure () -> String) {
        var response = response
        if !(200...599).contains(response.status) {
            host.log(.error, "\(label()): status \(response.status) out of range, sending 500")
            response = PluginResponse.internalError
        }
        let setHeader = host.api.required(\.call_set_header)
        let callRespond = host.api.required(\.call_respond)

        let rc: Int32? = responded.withLock { done in
            if done { return nil }
            done = true
            return host.gate.pass {
                for (name, value) in response.headers {
                    let rc = withBytes(name, value) { setHeader(call, $0, $1) }
                    if rc != GARRISON_OK {
                        host.log(.warning, "\(label()): header \(name) refused (\(PluginStatus(rawValue: rc)))")
                    }
                }
                return withBytes(response.contentType, response.body) { type, body in
                    callRespond(call, Int32(response.status), type, body)
                }
            }
        }
        if let rc, rc != GARRISON_OK {
            // TIMEOUT or CANCELLED: the client already has an answer or is gone.
            host.log(.notice, "\(label()): response \(response.status) dropped (\(PluginStatus(rawValue: rc)))")
        }
    }
}
