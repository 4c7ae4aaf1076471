import Foundation

/// Installer tokens: login tokens limited to the scope "installer", so they can call only the
/// enrollment routes (`/api/v3/installer/`, `/api/v3/newagent/`), with the creating
/// operator's permissions and client/site scope, until they expire.
enum InstallerTokens {
    static let scope = "installer"

    static func issue(_ pool: DatabasePool, userID: Int, hours: Int, deploymentID: Int? = nil, expiry: Date? = nil) async throws -> SessionTokens.Issued {
        let token = Crypto.randomHex(bytes: 32)
        let row = try await pool.query("""
            INSERT INTO auth_tokens (user_id, digest, token_prefix, scope, expiry, deployment_id, user_agent)
            VALUES ($1, $2, $3, $4, COALESCE($5::timestamptz, now() + make_interval(hours => $6)), $7, 'installer') RETURNING extract(epoch FROM expiry) AS expiry
            """, [String(userID), Crypto.sha256Hex(token), String(token.prefix(8)), scope, expiry.map(SQLTime.text), String(hours), deploymentID.map(String.init)]).first!
        return SessionTokens.Issued(token: token, expiry: Date(timeIntervalSince1970: row.double("expiry")))
    }
}
