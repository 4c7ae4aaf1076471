import NIOConcurrencyHelpers

/// The point where a second factor plugs into login. Each hook answers for one user at one
/// stage; hooks that have nothing to say defer, and when all defer the password decides.
public enum LoginStage: Int32, Sendable { case checkCredentials = 1, login = 2 }

public enum LoginVerdict: Sendable, Equatable {
    case abstain
    case allow
    case deny(String)
    /// A second factor is needed; the JSON tells the client what (e.g. {"totp": true}).
    case challenge(JSON)
    /// Only a token limited to this scope may be issued (e.g. "2fa-enroll").
    case limited(String)
    /// The hook is registered but cannot answer now (its plugin is stopping). LoginHooks turns
    /// this into a denial for every user the hook has judged before, and abstains for the rest:
    /// a second factor must not fall away while its plugin reloads.
    case unavailable
}

public struct LoginSubject: Sendable {
    public let userID: Int
    public let username: String
}

public protocol LoginHook: Sendable {
    func evaluate(stage: LoginStage, subject: LoginSubject, request: JSON, sourceIP: String) async -> LoginVerdict
}

/// The registered hooks, by owner, so a disabled plugin's hook disappears with it (the
/// operator's deliberate choice); until then, a hook that cannot answer fails closed.
public final class LoginHooks: Sendable {
    private let hooks = NIOLockedValueBox<[(owner: String, hook: any LoginHook)]>([])
    /// Per owner, the users its hook has answered for with more than "defer": those it guards.
    private let judged = NIOLockedValueBox<[String: Set<Int>]>([:])

    public init() {}

    public func add(owner: String, _ hook: any LoginHook) {
        hooks.withLockedValue { $0.append((owner, hook)) }
    }

    public func remove(owner: String) {
        hooks.withLockedValue { $0.removeAll { $0.owner == owner } }
        judged.withLockedValue { _ = $0.removeValue(forKey: owner) }
    }

    /// Whether `owner`'s hook has guarded `userID` (tests and the log).
    func guards(owner: String, userID: Int) -> Bool { judged.withLockedValue { $0[owner]?.contains(userID) ?? false } }

    /// Asks every hook. A denial beats a challenge, which beats a limit, which beats allow.
    public func evaluate(stage: LoginStage, subject: LoginSubject, request: JSON, sourceIP: String) async -> LoginVerdict {
        let current = hooks.withLockedValue { $0 }
        var challenge: JSON?
        var limited: String?
        for entry in current {
            let verdict = await entry.hook.evaluate(stage: stage, subject: subject, request: request, sourceIP: sourceIP)
            switch verdict {
            case .abstain, .unavailable: break
            default: judged.withLockedValue { $0[entry.owner, default: []].insert(subject.userID) }
            }
            switch verdict {
            case .unavailable:
                if guards(owner: entry.owner, userID: subject.userID) {
                    return .deny("the sign-in check of plugin \(entry.owner) is not available right now; try again shortly")
                }
            case .deny(let reason): return .deny(reason)
            case .challenge(let data): challenge = data
            case .limited(let scope): limited = limited ?? scope
            case .allow, .abstain: break
            }
        }
        if let challenge { return .challenge(challenge) }
        if let limited { return .limited(limited) }
        return .allow
    }
}
