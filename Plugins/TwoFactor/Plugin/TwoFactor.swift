import PluginKit
import TwoFactorCore
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// twofactor -- TOTP second factor for operator sign-in, enforced by the server.
///
/// Login (through the host's auth hook):
///   POST /v2/checkcreds/   enrolled user: challenge {"totp": true}, no token.
///                          not enrolled, required = true: a token limited to
///                          scope "2fa-enroll" (verdict limited).
///   POST /v2/login/        enrolled user: "twofactor" must hold a current TOTP
///                          code (each time step accepted once) or an unused
///                          recovery code; a wrong one answers 400 "Bad code".
///                          max_failures wrong codes in failure_window_seconds
///                          deny every sign-in of that user until the window moves.
///   Tactical RMM's dashboard flow (no confirm step): within 10 minutes of
///                          setup_totp, checkcreds answers {"totp": true} and a
///                          login whose code matches the new secret confirms the
///                          enrollment and signs in (same throttle and audit).
///
/// Routes:
///   POST /accounts/users/setup_totp/    [authenticated, also scope 2fa-enroll]
///        starts (or restarts) enrollment: {"secret","totp_key","otpauth_uri",
///        "qr_url","qr_png" (base64 PNG),"qr_svg","username"}. 400 when enrolled.
///   POST /accounts/users/confirm_totp/  [authenticated, also scope 2fa-enroll]
///        {"code": "123456"} proves the app works and completes enrollment;
///        answers {"recovery_codes": [10 codes]}, shown this once.
///   PUT  /accounts/users/reset_totp/    [can_manage_accounts] {"id": <user id>}
///        removes that user's TOTP and recovery codes; audited.
///   PUT  /accounts/reset2fa/            [authenticated] {"code": TOTP or recovery
///        code} removes the caller's own TOTP; audited.
///   GET  /accounts/users/totp_status/   [authenticated, also scope 2fa-enroll]
///        {"enrolled": bool, "required": bool, "recovery_codes_left": n}.
final class TwoFactor: GarrisonPlugin {
    static let name: StaticString = "twofactor"
    static let version: StaticString = "0.1.0"
    static let minHostMinor: UInt16 = 1
    static let enrollScope = "2fa-enroll"

    let host: PluginHost
    let settings: Settings
    let box: SecretBox

    init(host: PluginHost) throws {
        self.host = host
        self.settings = try host.settings(Settings.self)
        self.box = try settings.validated()
    }

    func register(_ r: Registrar) throws {
        try r.migration(version: 1, sql: Schema.v1)
        try r.authHook { question in try await self.decide(question) }
        try registerImport(r)

        let enroll = [Self.enrollScope]
        try r.route(.post, "/accounts/users/setup_totp/", permission: "authenticated", scopes: enroll) { req in
            try await self.setup(req)
        }
        try r.route(.post, "/accounts/users/confirm_totp/", permission: "authenticated", scopes: enroll) { req in
            try await self.confirm(req)
        }
        try r.route(.get, "/accounts/users/totp_status/", permission: "authenticated", scopes: enroll) { req in
            try await self.status(req)
        }
        try r.route(.put, "/accounts/users/reset_totp/", permission: "can_manage_accounts") { req in
            try await self.adminReset(req)
        }
        try r.route(.put, "/accounts/reset2fa/", permission: "authenticated") { req in
            try await self.selfReset(req)
        }
    }

    // MARK: sign-in

    /// How long a started, unconfirmed enrollment may be confirmed by signing in with a code.
    static let pendingSignInSeconds = 600

    func decide(_ q: AuthQuestion) async throws -> AuthVerdict {
        guard let userID = q.user["id"]?.intValue else { return .defer }
        let username = q.user["username"]?.stringValue ?? ""
        let enrollment = try await enrollment(userID)
        guard enrollment?.confirmed == true else {
            // Tactical RMM's dashboard has no confirm step: it calls setup_totp, sends the user
            // back to the sign-in page, and signs in with a code. A code that matches the new
            // secret proves possession exactly as confirm_totp does, so it confirms the
            // enrollment; after pendingSignInSeconds the user starts over with the limited token.
            if let pending = enrollment, pending.pendingFresh {
                switch q.stage {
                case .checkCredentials:
                    return .challenge(["totp": true])
                case .login:
                    if let code = codeField(q.request["twofactor"]), !code.isEmpty {
                        return try await confirmBySignIn(userID: userID, username: username, code: code, pending, sourceIP: q.sourceIP)
                    }
                case .other:
                    break
                }
            }
            return settings.required ? .limited(scope: Self.enrollScope) : .defer
        }
        switch q.stage {
        case .checkCredentials:
            return .challenge(["totp": true])
        case .login:
            guard let code = codeField(q.request["twofactor"]), !code.isEmpty else {
                return .challenge(["totp": true])
            }
            switch try await verify(userID: userID, username: username, code: code, sourceIP: q.sourceIP, context: "login") {
            case .totp, .recovery: return .allow
            case .throttled: return .deny(detail: "too many wrong two-factor codes; wait and try again")
            case .wrong, .notEnrolled: return .challenge(["totp": true])
            }
        case .other:
            return .defer
        }
    }

    /// Confirms a fresh pending enrollment with a sign-in code (Tactical RMM's flow), under the
    /// same throttle, audit and one-use rule as any code.
    func confirmBySignIn(userID: Int, username: String, code: String, _ pending: Enrollment, sourceIP: String) async throws
        -> AuthVerdict
    {
        if try await isThrottled(userID) { return .deny(detail: "too many wrong two-factor codes; wait and try again") }
        guard let step = totp(try open(pending, userID: userID)).match(code, at: unixNow(), window: settings.window, after: nil) else {
            try await recordFailure(userID)
            try? host.audit(
                action: "twofactor.code_failed", username: username, object: "user:\(userID)",
                detail: ["context": "enrollment sign-in", "reason": "wrong code", "source_ip": .string(sourceIP)])
            return .challenge(["totp": true])
        }
        let done: [UserIDRow] = try await host.query(
            "UPDATE totp SET confirmed = true, confirmed_at = now(), last_step = $2 WHERE user_id = $1 AND NOT confirmed AND secret = $3 RETURNING user_id",
            [userID, step, pending.secret])
        guard !done.isEmpty else { return .challenge(["totp": true]) }
        try await clearFailures(userID)
        try? host.audit(
            action: "twofactor.enrolled", username: username, object: "user:\(userID)",
            detail: ["context": "sign-in", "source_ip": .string(sourceIP)])
        return .allow
    }

    /// "twofactor" as sent: a string, or a number some clients send (zero-padded back).
    func codeField(_ value: JSON?) -> String? {
        if let s = value?.stringValue { return s.filter { !$0.isWhitespace } }
        if let n = value?.intValue, n >= 0 {
            let text = String(n)
            return text.count >= settings.digits ? text : String(repeating: "0", count: settings.digits - text.count) + text
        }
        return nil
    }

    enum Outcome { case totp, recovery, wrong, throttled, notEnrolled }

    /// Checks a TOTP or recovery code of an enrolled user, consuming it when good.
    /// Wrong codes count towards the throttle and are audited.
    func verify(userID: Int, username: String, code: String, sourceIP: String, context: String) async throws -> Outcome {
        // One round trip for the throttle and the enrollment together: login latency is
        // mostly database round trips.
        let state = try await loginState(userID)
        if state.failures >= settings.maxFailures {
            try? host.audit(
                action: "twofactor.throttled", username: username, object: "user:\(userID)",
                detail: ["context": .string(context), "source_ip": .string(sourceIP)])
            return .throttled
        }
        guard let row = state.enrollment, row.confirmed else { return .notEnrolled }
        let totp = totp(try open(row, userID: userID))
        let now = unixNow()
        var reason = "wrong code"
        if let step = totp.match(code, at: now, window: settings.window, after: row.lastStep) {
            // Consume the step and clear the failure count in one statement.
            let updated: [UserIDRow] = try await host.query(
                """
                WITH used AS (
                    UPDATE totp SET last_step = $2 WHERE user_id = $1 AND confirmed AND (last_step IS NULL OR last_step < $2) RETURNING user_id
                ), cleared AS (
                    DELETE FROM failures WHERE user_id = $1 AND EXISTS (SELECT 1 FROM used)
                )
                SELECT user_id FROM used
                """, [userID, step])
            if !updated.isEmpty { return .totp }
            reason = "code already used"
        } else if totp.match(code, at: now, window: settings.window, after: nil) != nil {
            reason = "code already used"
        } else if RecoveryCodes.looksLikeOne(code) {
            let rows: [RecoveryRow] = try await host.query(
                "SELECT id, salt, hash FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL", [userID])
            for r in rows where RecoveryCodes.matches(code, .init(salt: r.salt, hash: r.hash)) {
                let used: [CountRow] = try await host.query(
                    "UPDATE recovery_codes SET used_at = now() WHERE id = $1 AND used_at IS NULL RETURNING id AS n", [r.id])
                if !used.isEmpty {
                    try await clearFailures(userID)
                    try? host.audit(
                        action: "twofactor.recovery_code_used", username: username, object: "user:\(userID)",
                        detail: ["context": .string(context), "source_ip": .string(sourceIP)])
                    return .recovery
                }
            }
            reason = "wrong or used recovery code"
        }
        try await recordFailure(userID)
        try? host.audit(
            action: "twofactor.code_failed", username: username, object: "user:\(userID)",
            detail: ["context": .string(context), "reason": .string(reason), "source_ip": .string(sourceIP)])
        return .wrong
    }

    // MARK: routes

    struct Caller {
        let id: Int
        let username: String
    }

    func caller(_ req: PluginRequest) throws -> Caller {
        guard req.principal["kind"]?.stringValue == "user", let id = req.principal["user_id"]?.intValue else {
            throw PluginHTTPError(403, "two-factor settings belong to operator users")
        }
        return Caller(id: id, username: req.principal["username"]?.stringValue ?? "")
    }

    struct SetupReply: Encodable {
        let username: String
        let secret: String
        let totp_key: String
        let otpauth_uri: String
        let qr_url: String
        let qr_png: String
        let qr_svg: String
        let confirm: String
    }

    func setup(_ req: PluginRequest) async throws -> PluginResponse {
        let user = try caller(req)
        if try await enrollment(user.id)?.confirmed == true {
            throw PluginHTTPError(400, "TOTP is already set up; reset it first")
        }
        let secret = try Random.bytes(20)  // 160 bits, RFC 4226's recommended length
        let rows: [UserIDRow] = try await host.query(
            """
            INSERT INTO totp (user_id, username, secret) VALUES ($1, $2, $3)
            ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, username = EXCLUDED.username,
                last_step = NULL, created_at = now()
            WHERE NOT totp.confirmed RETURNING user_id
            """, [user.id, user.username, try seal(secret, userID: user.id)])
        guard !rows.isEmpty else { throw PluginHTTPError(400, "TOTP is already set up; reset it first") }
        let account = settings.accountName.replacing("{username}", with: user.username)
        let uri = OTPAuthURI.make(issuer: settings.issuer, account: account, secret: secret, totp: totp(secret))
        let qr = try QRCode(uri)
        let base32 = Base32.encode(secret)
        try? host.audit(action: "twofactor.setup_started", username: user.username, object: "user:\(user.id)")
        return try .json(
            SetupReply(
                username: user.username, secret: base32, totp_key: base32, otpauth_uri: uri, qr_url: uri,
                qr_png: Data(try qr.png()).base64EncodedString(), qr_svg: qr.svg(),
                confirm: "POST /accounts/users/confirm_totp/ {\"code\": \"<current code>\"}"))
    }

    struct CodeBody: Decodable { let code: String }

    func confirm(_ req: PluginRequest) async throws -> PluginResponse {
        let user = try caller(req)
        let code = try req.json(CodeBody.self).code.filter { !$0.isWhitespace }
        guard let row = try await enrollment(user.id) else {
            throw PluginHTTPError(400, "no enrollment in progress; POST /accounts/users/setup_totp/ first")
        }
        guard !row.confirmed else { throw PluginHTTPError(400, "TOTP is already set up") }
        guard let step = totp(try open(row, userID: user.id)).match(code, at: unixNow(), window: settings.window, after: nil) else {
            try? host.audit(action: "twofactor.confirm_failed", username: user.username, object: "user:\(user.id)")
            throw PluginHTTPError(400, "Invalid code")
        }
        let done: [UserIDRow] = try await host.query(
            "UPDATE totp SET confirmed = true, confirmed_at = now(), last_step = $2 WHERE user_id = $1 AND NOT confirmed AND secret = $3 RETURNING user_id",
            [user.id, step, row.secret])
        guard !done.isEmpty else { throw PluginHTTPError(409, "enrollment changed meanwhile; start again") }
        let codes = try await newRecoveryCodes(user.id)
        try? host.audit(action: "twofactor.enrolled", username: user.username, object: "user:\(user.id)")
        return try .json(["recovery_codes": codes])
    }

    func status(_ req: PluginRequest) async throws -> PluginResponse {
        let user = try caller(req)
        let enrolled = try await enrollment(user.id)?.confirmed == true
        let left: [CountRow] = try await host.query(
            "SELECT count(*)::int AS n FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL", [user.id])
        return try .json(
            [
                "enrolled": JSON.bool(enrolled), "required": .bool(settings.required),
                "recovery_codes_left": .number(Double(left.first?.n ?? 0)),
            ] as JSON)
    }

    struct ResetBody: Decodable { let id: Int }

    func adminReset(_ req: PluginRequest) async throws -> PluginResponse {
        let admin = try caller(req)
        let target = try req.json(ResetBody.self).id
        // Resetting someone's second factor is half of signing in as them.
        if target != admin.id {
            do { try await host.requireMayManage(user: target, caller: req) } catch let refusal as PluginHTTPError
                where refusal.status == 403
            {
                try? host.audit(
                    action: "twofactor.reset_refused", username: admin.username, object: "user:\(target)",
                    detail: ["reason": .string(refusal.detail)])
                throw refusal
            }
        }
        let removed: [UserIDRow] = try await host.query(
            "DELETE FROM totp WHERE user_id = $1 RETURNING user_id", [target])
        try await clearFailures(target)
        try? host.audit(
            action: "twofactor.reset_by_admin", username: admin.username, object: "user:\(target)",
            detail: ["had_totp": .bool(!removed.isEmpty)])
        return try .json(["detail": JSON.string("ok"), "reset": .bool(!removed.isEmpty)] as JSON)
    }

    func selfReset(_ req: PluginRequest) async throws -> PluginResponse {
        let user = try caller(req)
        let code = try req.json(CodeBody.self).code.filter { !$0.isWhitespace }
        switch try await verify(userID: user.id, username: user.username, code: code, sourceIP: req.sourceIP, context: "reset2fa") {
        case .totp, .recovery:
            try await host.execute("DELETE FROM totp WHERE user_id = $1", [user.id])
            try? host.audit(action: "twofactor.reset_by_self", username: user.username, object: "user:\(user.id)")
            return try .json(["detail": JSON.string("ok"), "reset": .bool(true)] as JSON)
        case .throttled: throw PluginHTTPError(429, "too many wrong two-factor codes; wait and try again")
        case .notEnrolled: throw PluginHTTPError(400, "TOTP is not set up")
        case .wrong: throw PluginHTTPError(400, "Invalid code")
        }
    }
}
