import Foundation
import Hummingbird

/// Tactical RMM's two-step login: `POST /v2/checkcreds/` then `POST /v2/login/`, plus logout.
/// Login hooks (the 2FA plugin) decide whether a second step is needed.
enum LoginRoutes {
    static func routes(_ host: HostContext) -> [Route] {
        [
            Route(.post, "/v2/checkcreds/", access: .anonymous, summary: "Login step 1: check username and password") { call in
                try await login(host, call, stage: .checkCredentials)
            },
            Route(.post, "/v2/login/", access: .anonymous, summary: "Login step 2: credentials plus second factor; returns a token") {
                call in
                try await login(host, call, stage: .login)
            },
            Route(.post, "/logout/", access: .authenticated, scopes: ["*"], summary: "Revoke this token") { call in
                let user = try call.user
                if let tokenID = user.tokenID {
                    try await host.pool.transaction { connection in
                        try connection.query("DELETE FROM auth_tokens WHERE id = $1", [String(tokenID)])
                        try AuditLog.record(.init(call, .logout, "user", "\(user.username) logged out"), on: connection)
                    }
                }
                host.authenticator.invalidateAll()
                return Response(status: .noContent)
            },
            Route(.post, "/logoutall/", access: .authenticated, scopes: ["*"], summary: "Revoke all of this user's tokens") { call in
                let user = try call.user
                try await host.pool.transaction { connection in
                    try connection.query("DELETE FROM auth_tokens WHERE user_id = $1", [String(user.id)])
                    try AuditLog.record(.init(call, .logout, "user", "\(user.username) logged out everywhere"), on: connection)
                }
                host.authenticator.invalidateAll()
                return Response(status: .noContent)
            },
        ]
    }

    static let badCredentials = APIError(.badRequest, "Bad credentials")

    private static func login(_ host: HostContext, _ call: Call, stage: LoginStage) async throws -> Response {
        let body = try call.object()
        let username = try body.nonEmptyString("username")
        let password = try body.string("password")
        if let wait = await host.throttle.sharedRetryAfter(username: username, address: call.sourceIP) {
            // Audited like a failure (but not counted as one: waiting out the delay must help).
            await host.audit(call, .failedLogin, "user", "Throttled login for \(username): retry in \(wait) s")
            var error = APIError(.tooManyRequests, "Too many failed logins from this address; try again in \(wait) seconds.")
            error.headers[.retryAfter] = String(wait)
            throw error
        }
        let row = try await host.pool.query(
            "SELECT id, username, password_hash, is_active, block_dashboard_login, first_name, last_name FROM users WHERE username = $1",
            [username]
        ).first
        let hasher = host.hasher
        let valid: Bool = try await host.blocking.runIfActive {
            guard let row else { hasher.verifyDummy(password); return false }
            return hasher.verify(password, against: row.string("password_hash"))
        }
        guard let row, valid, row.bool("is_active"), !row.bool("block_dashboard_login") else {
            return try await failed(host, call, username: username, reason: "bad credentials")
        }
        let stored = row.string("password_hash")
        if hasher.needsRehash(stored) {
            // An imported Django hash (or older scrypt parameters): replaced by the current KDF
            // now that the password is known to be right. Only if nobody changed it meanwhile.
            let upgraded: String = try await host.blocking.runIfActive { hasher.hash(password) }
            try await host.pool.query(
                "UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3", [upgraded, String(row.int("id")), stored])
        }
        let subject = LoginSubject(userID: row.int("id"), username: row.string("username"))
        let verdict = await host.loginHooks.evaluate(stage: stage, subject: subject, request: .object(body.fields), sourceIP: call.sourceIP)
        switch verdict {
        case .deny(let reason):
            return try await failed(host, call, username: username, reason: reason)
        case .unavailable:
            // LoginHooks never answers this; counted as a denial should that change.
            return try await failed(host, call, username: username, reason: "a sign-in check was unavailable")
        case .challenge(let data):
            if stage == .checkCredentials {
                // Right password, second factor still owed: say so, hand out nothing.
                var answer = data.objectValue ?? [:]
                answer["totp"] = answer["totp"] ?? true
                return Responses.json(.object(answer))
            }
            return try await failed(host, call, username: username, reason: "second factor missing or wrong", detail: "Bad code")
        case .limited(let scope):
            return try await grant(host, call, row: row, scope: scope)
        case .allow, .abstain:
            return try await grant(host, call, row: row, scope: nil)
        }
    }

    private static func failed(_ host: HostContext, _ call: Call, username: String, reason: String, detail: String = "Bad credentials")
        async throws -> Response
    {
        await host.throttle.sharedRecordFailure(username: username, address: call.sourceIP)
        try await host.audit.record(
            .init(
                username: username, action: .failedLogin, objectType: "user", message: "Failed login for \(username): \(reason)",
                sourceIP: call.sourceIP))
        throw APIError(.badRequest, detail)
    }

    private static func grant(_ host: HostContext, _ call: Call, row: PGRow, scope: String?) async throws -> Response {
        let userID = row.int("id")
        let username = row.string("username")
        await host.throttle.sharedRecordSuccess(username: username, address: call.sourceIP)
        let ttl = host.tokenTTL
        let userAgent = call.headers[.userAgent] ?? ""
        let token = Crypto.randomHex(bytes: 32)
        let note = scope.map { " (limited to \($0))" } ?? ""
        // One statement, one round trip: the token, last login and the audit line commit together.
        let inserted = try await host.pool.query(
            """
            WITH token AS (
                INSERT INTO auth_tokens (user_id, digest, token_prefix, scope, expiry, source_ip, user_agent)
                VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6, $7) RETURNING expiry
            ), seen AS (
                UPDATE users SET last_login = now(), last_login_ip = $6 WHERE id = $1
            ), audit AS (
                INSERT INTO audit_log (username, action, object_type, message, ip_address) VALUES ($8, 'login', 'user', $9, $6)
            )
            SELECT extract(epoch FROM expiry) AS expiry FROM token
            """,
            [
                String(userID), Crypto.sha256Hex(token), String(token.prefix(8)), scope, String(Double(ttl.components.seconds)),
                call.sourceIP,
                String(userAgent.prefix(300)), username, "\(username) logged in\(note)",
            ]
        ).first
        let issued = SessionTokens.Issued(token: token, expiry: Date(timeIntervalSince1970: inserted?.double("expiry") ?? 0))
        var answer: [String: JSON] = [
            "token": .string(issued.token),
            "expiry": .string(issued.expiry.iso8601),
            "username": .string(username),
            "name": .string([row.string("first_name"), row.string("last_name")].filter { !$0.isEmpty }.joined(separator: " ")),
            "totp": false,
        ]
        if let scope { answer["scope"] = .string(scope) }
        return Responses.json(.object(answer))
    }
}
