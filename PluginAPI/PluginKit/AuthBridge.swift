import CGarrisonPlugin
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One sign-in question. The password was already checked by the host.
public struct AuthQuestion: Sendable {
    public enum Stage: Sendable, Equatable {
        /// POST /checkcreds/: no second factor sent yet.
        case checkCredentials
        /// POST /login/: the final step; `request` may carry "twofactor".
        case login
        case other(Int32)
    }

    public let stage: Stage
    /// The verified user: {"id":1,"username":"..."}.
    public let user: JSON
    /// The sign-in body without the password.
    public let request: JSON
    public let sourceIP: String
}

/// A hook's answer. The strongest verdict of all hooks wins:
/// deny > challenge > limited > allow > defer.
public enum AuthVerdict: Sendable, Equatable {
    /// Not mine: no opinion.
    case `defer`
    /// Mine, and this user passes my check.
    case allow
    /// Refuse the sign-in; `detail` is shown to the user.
    case deny(detail: String?)
    /// A second factor is needed; `info` says which, e.g. {"totp": true}.
    case challenge(JSON)
    /// Sign in with a limited token.
    case limited(scope: String)

    /// The (verdict, data) pair auth_complete takes.
    var wire: (verdict: Int32, data: JSON?) {
        switch self {
        case .defer: (GARRISON_AUTH_DEFER, nil)
        case .allow: (GARRISON_AUTH_ALLOW, nil)
        case .deny(let detail): (GARRISON_AUTH_DENY, detail.map { ["detail": .string($0)] })
        case .challenge(let info): (GARRISON_AUTH_CHALLENGE, info)
        case .limited(let scope): (GARRISON_AUTH_LIMITED, ["scope": .string(scope)])
        }
    }
}

public typealias AuthHandler = @Sendable (AuthQuestion) async throws -> AuthVerdict

final class AuthBox: RegistrationBox, @unchecked Sendable {
    let handler: AuthHandler

    init(host: PluginHost, handler: @escaping AuthHandler) {
        self.handler = handler
        super.init(host: host)
    }

    /// A throwing hook answers DENY: a broken hook fails closed, as the host
    /// would decide on its own at the deadline anyway.
    func answer(_ question: AuthQuestion, _ call: OpaquePointer) async {
        let verdict: AuthVerdict
        do {
            verdict = try await handler(question)
        } catch {
            host.log(.error, "auth hook failed, denying: \(error)")
            verdict = .deny(detail: nil)
        }
        let wire = verdict.wire
        let data = wire.data.flatMap { try? JSONCoding.encode($0) } ?? Data()
        let complete = host.api.required(\.auth_complete)
        let rc = host.gate.pass { data.withGarrisonBytes { complete(call, wire.verdict, $0) } }
        if let rc, rc != GARRISON_OK {
            host.log(.notice, "auth verdict dropped (\(PluginStatus(rawValue: rc)))")
        }
    }
}

/// Carries a garrison_auth_call* into the Task.
struct AuthCallHandle: @unchecked Sendable {
    let call: OpaquePointer
}

/// garrison_auth_fn: copies the question and answers from a Task.
func pluginKitAuth(
    _ user: UnsafeMutableRawPointer?, _ q: UnsafePointer<garrison_auth_query>?, _ call: OpaquePointer?
) -> Int32 {
    guard let user, let q, let call else { return GARRISON_ERR_INVALID }
    let box = Unmanaged<AuthBox>.fromOpaque(user).takeUnretainedValue()
    let r = q.pointee
    let stage: AuthQuestion.Stage =
        switch r.stage {
        case GARRISON_AUTH_STAGE_CHECKCREDS: .checkCredentials
        case GARRISON_AUTH_STAGE_LOGIN: .login
        default: .other(r.stage)
        }
    let question = AuthQuestion(
        stage: stage, user: (try? JSON(parsing: r.user_json.data)) ?? .null,
        request: (try? JSON(parsing: r.request_json.data)) ?? .null, sourceIP: r.source_ip.string)
    let handle = AuthCallHandle(call: call)
    Task { await box.answer(question, handle.call) }
    return GARRISON_PENDING
}

extension Registrar {
    /// Takes part in operator sign-in (see "Auth hooks" in the header).
    public func authHook(_ handler: @escaping AuthHandler) throws {
        try ensureOpen("register_auth_hook")
        let registerHook = host.api.required(\.register_auth_hook)
        let handle = host.handle
        try register("register_auth_hook", AuthBox(host: host, handler: handler)) { user in
            registerHook(handle, pluginKitAuth, user, pluginKitFree, nil)
        }
    }
}
