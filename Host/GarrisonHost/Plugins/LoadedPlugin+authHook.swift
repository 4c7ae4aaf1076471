import CGarrisonPlugin
import Foundation
import NIOCore
import NIOPosix

/// register_auth_hook: a plugin's hook becomes a LoginHook under the plugin's name. Errors,
/// unknown answers and timeouts count as a denial: a broken hook fails closed.
extension LoadedPlugin {
    func registerAuthHook(
        fn: garrison_auth_fn?, user: UnsafeMutableRawPointer?, freeFn: garrison_free_fn?, out: UnsafeMutablePointer<garrison_reg>?
    ) -> Int32 {
        out?.pointee = 0
        guard isRegistering else { return refuse(GARRISON_ERR_PHASE, "register_auth_hook outside plugin_init") }
        guard let fn else { return refuse(GARRISON_ERR_INVALID, "register_auth_hook: fn is NULL") }
        let hook = PluginRegistrations.AuthHook(
            id: PluginRegistrations.nextID(), callback: PluginCallback(function: fn, user: PluginUserData(pointer: user)))
        let code = registering("register_auth_hook") { registrations in
            registrations.authHooks.append(hook)
            registrations.addDestructor(freeFn, user)
            return .registered
        }
        if code == GARRISON_OK { out?.pointee = hook.id }
        return code
    }
}

struct PluginLoginHook: LoginHook {
    let host: LoadedPlugin
    let callback: PluginCallback<garrison_auth_fn>

    func evaluate(stage: LoginStage, subject: LoginSubject, request: JSON, sourceIP: String) async -> LoginVerdict {
        // Stopping or reloading: fail closed for the users this hook guards (LoginHooks decides).
        guard host.enter(.dispatch) else { return .unavailable }
        defer { host.exit() }
        let call = PluginAuthCall(host: host)
        var fields = request.objectValue ?? [:]
        fields["password"] = nil
        let status = call.invoke(
            callback, stage: stage.rawValue,
            user: "{\"id\":\(subject.userID),\"username\":\(JSONText.quoted(subject.username))}",
            request: JSON.object(fields).databaseText, sourceIP: sourceIP)
        let verdict: LoginVerdict?
        switch status {
        case GARRISON_PENDING:
            verdict = await wait(call)
        case GARRISON_OK:
            verdict = call.answer.collect()
            if verdict == nil { host.logger.error("auth hook returned GARRISON_OK without auth_complete; counted as deny") }
        default:
            _ = call.answer.collect()
            host.logger.error("auth hook returned \(PluginABI.statusName(status)); counted as deny")
            verdict = nil
        }
        return verdict ?? .deny("the sign-in check of plugin \(host.name) failed")
    }

    private func wait(_ call: PluginAuthCall) async -> LoginVerdict? {
        let held = host.withState { state -> Bool in
            guard state.instance.acceptsServiceCalls else { return false }
            state.openAnswers[ObjectIdentifier(call)] = call
            return true
        }
        if !held { call.answer.cancel() }
        let timeout = host.services.callTimeout
        let deadlines = host.services.callDeadlines
        deadlines.add(call, after: .init(timeout)) { call.answer.expire() }
        let outcome = await call.answer.wait()
        deadlines.cancel(call)
        switch outcome {
        case .answered(let verdict):
            host.forget(call)
            return verdict
        case .timedOut:
            host.logger.warning("auth hook did not answer in time; counted as deny", metadata: ["timeout": "\(timeout)"])
            return nil
        case .cancelled:
            // The plugin stopped while deciding: as unavailable, not as "no opinion".
            return nil
        }
    }
}

/// One auth question: the `garrison_auth_call*` answered through auth_complete.
final class PluginAuthCall: PluginAnswerHolder {
    let host: LoadedPlugin
    let answer = PluginAnswer<LoginVerdict>()

    init(host: LoadedPlugin) { self.host = host }

    var handle: OpaquePointer { OpaquePointer(Unmanaged.passUnretained(self).toOpaque()) }

    static func from(_ handle: OpaquePointer?) -> PluginAuthCall? {
        guard let handle else { return nil }
        return Unmanaged<PluginAuthCall>.fromOpaque(UnsafeRawPointer(handle)).takeUnretainedValue()
    }

    func cancelByHost() { answer.cancel() }

    func invoke(_ callback: PluginCallback<garrison_auth_fn>, stage: Int32, user: String, request: String, sourceIP: String) -> Int32 {
        var user = user, request = request, sourceIP = sourceIP
        let handle = self.handle
        return user.withUTF8 { userBytes in
            request.withUTF8 { requestBytes in
                sourceIP.withUTF8 { ipBytes in
                    var query = garrison_auth_query(
                        struct_size: UInt32(MemoryLayout<garrison_auth_query>.size), stage: stage,
                        user_json: garrison_bytes(ptr: userBytes.baseAddress, len: userBytes.count),
                        request_json: garrison_bytes(ptr: requestBytes.baseAddress, len: requestBytes.count),
                        source_ip: garrison_bytes(ptr: ipBytes.baseAddress, len: ipBytes.count))
                    return callback.function(callback.user.pointer, &query, handle)
                }
            }
        }
    }

    func complete(verdict: Int32, data: garrison_bytes) -> Int32 {
        guard !data.isMalformed else { return GARRISON_ERR_INVALID }
        var object: [String: JSON] = [:]
        if data.len > 0 {
            guard let value = try? JSON.parse(data.data) else { return GARRISON_ERR_INVALID }
            object = value.objectValue ?? [:]
        }
        let result: LoginVerdict
        switch verdict {
        case GARRISON_AUTH_DEFER: result = .abstain
        case GARRISON_AUTH_ALLOW: result = .allow
        case GARRISON_AUTH_DENY: result = .deny(object["detail"]?.stringValue ?? "denied by plugin \(host.name)")
        case GARRISON_AUTH_CHALLENGE: result = .challenge(.object(object))
        case GARRISON_AUTH_LIMITED:
            guard let scope = object["scope"]?.stringValue, PluginLoader.isValidName(scope) else { return GARRISON_ERR_INVALID }
            result = .limited(scope)
        default: return GARRISON_ERR_INVALID
        }
        let code = answer.answer(result)
        if code == GARRISON_ERR_TIMEOUT || code == GARRISON_ERR_CANCELLED { host.forget(self) }
        return code
    }
}
