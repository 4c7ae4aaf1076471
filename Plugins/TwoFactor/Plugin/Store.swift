import PluginKit
import TwoFactorCore
#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The plugin's tables, in its own schema.
enum Schema {
    static let v1 = """
        CREATE TABLE totp (
            user_id integer PRIMARY KEY,
            username text NOT NULL,
            secret text NOT NULL,              -- base64 of AES-256-GCM nonce || ciphertext || tag
            confirmed boolean NOT NULL DEFAULT false,
            last_step bigint,                  -- last accepted time step: a code is good once
            created_at timestamptz NOT NULL DEFAULT now(),
            confirmed_at timestamptz);
        CREATE TABLE recovery_codes (
            id serial PRIMARY KEY,
            user_id integer NOT NULL REFERENCES totp (user_id) ON DELETE CASCADE,
            salt text NOT NULL,
            hash text NOT NULL,                -- hex SHA-256(salt || normalized code)
            used_at timestamptz);
        CREATE INDEX recovery_codes_user ON recovery_codes (user_id);
        CREATE TABLE failures (
            user_id integer NOT NULL,
            at timestamptz NOT NULL DEFAULT now());
        CREATE INDEX failures_user_at ON failures (user_id, at)
        """
}

struct Enrollment: Decodable {
    let secret: String
    let confirmed: Bool
    let lastStep: Int64?
    /// Not confirmed yet, and set up within `TwoFactor.pendingSignInSeconds`: Tactical RMM's
    /// dashboard confirms such an enrollment by signing in with a code (TwoFactor.decide).
    let pendingFresh: Bool

    init(secret: String, confirmed: Bool, lastStep: Int64?, pendingFresh: Bool = false) {
        self.secret = secret
        self.confirmed = confirmed
        self.lastStep = lastStep
        self.pendingFresh = pendingFresh
    }

    enum CodingKeys: String, CodingKey {
        case secret, confirmed
        case lastStep = "last_step"
        case pendingFresh = "pending_fresh"
    }
}

struct UserIDRow: Decodable {
    let userID: Int
    enum CodingKeys: String, CodingKey { case userID = "user_id" }
}

struct CountRow: Decodable { let n: Int }

struct RecoveryRow: Decodable {
    let id: Int
    let salt: String
    let hash: String
}

extension TwoFactor {
    func enrollment(_ userID: Int) async throws -> Enrollment? {
        try await host.query(
            """
            SELECT secret, confirmed, last_step,
                   (NOT confirmed AND created_at > now() - make_interval(secs => $2)) AS pending_fresh
            FROM totp WHERE user_id = $1
            """, [userID, Self.pendingSignInSeconds], as: Enrollment.self
        ).first
    }

    func associatedData(_ userID: Int) -> [UInt8] { Array("garrison-2fa:user:\(userID)".utf8) }

    func seal(_ secret: [UInt8], userID: Int) throws -> String {
        Data(try box.seal(secret, associatedData: associatedData(userID))).base64EncodedString()
    }

    func open(_ enrollment: Enrollment, userID: Int) throws -> [UInt8] {
        guard let sealed = Data(base64Encoded: enrollment.secret) else { throw SecretBox.Failure.tampered }
        return try box.open(Array(sealed), associatedData: associatedData(userID))
    }

    func totp(_ secret: [UInt8]) -> TOTP {
        TOTP(secret: secret, digits: settings.digits, period: Int64(settings.period))
    }

    struct LoginState {
        let enrollment: Enrollment?
        let failures: Int
    }

    private struct LoginStateRow: Decodable {
        let secret: String?
        let confirmed: Bool?
        let last_step: Int64?
        let failures: Int
    }

    /// The enrollment and the recent failure count, in one query.
    func loginState(_ userID: Int) async throws -> LoginState {
        let rows: [LoginStateRow] = try await host.query(
            """
            SELECT t.secret, t.confirmed, t.last_step,
                   (SELECT count(*)::int FROM failures f WHERE f.user_id = $1 AND f.at > now() - make_interval(secs => $2)) AS failures
            FROM (SELECT $1::bigint AS user_id) u LEFT JOIN totp t ON t.user_id = u.user_id
            """, [userID, settings.failureWindowSeconds])
        guard let row = rows.first else { return LoginState(enrollment: nil, failures: 0) }
        let enrollment = row.secret.map { Enrollment(secret: $0, confirmed: row.confirmed ?? false, lastStep: row.last_step) }
        return LoginState(enrollment: enrollment, failures: row.failures)
    }

    func isThrottled(_ userID: Int) async throws -> Bool {
        let rows: [CountRow] = try await host.query(
            "SELECT count(*)::int AS n FROM failures WHERE user_id = $1 AND at > now() - make_interval(secs => $2)",
            [userID, settings.failureWindowSeconds])
        return (rows.first?.n ?? 0) >= settings.maxFailures
    }

    func recordFailure(_ userID: Int) async throws {
        try await host.execute(
            "WITH old AS (DELETE FROM failures WHERE user_id = $1 AND at <= now() - make_interval(secs => $2)) INSERT INTO failures (user_id) VALUES ($1)",
            [userID, settings.failureWindowSeconds])
    }

    func clearFailures(_ userID: Int) async throws {
        try await host.execute("DELETE FROM failures WHERE user_id = $1", [userID])
    }

    /// Replaces the user's recovery codes with ten new ones; returns them in clear, once.
    func newRecoveryCodes(_ userID: Int) async throws -> [String] {
        let codes = try RecoveryCodes.generate(count: 10)
        var params: [any Encodable & Sendable] = [userID]
        var values: [String] = []
        for code in codes {
            let stored = try RecoveryCodes.store(code)
            params += [stored.salt, stored.hash]
            values.append("($1, $\(params.count - 1), $\(params.count))")
        }
        try await host.execute("DELETE FROM recovery_codes WHERE user_id = $1", [userID])
        try await host.execute(
            "INSERT INTO recovery_codes (user_id, salt, hash) VALUES " + values.joined(separator: ", "), params)
        return codes
    }
}
