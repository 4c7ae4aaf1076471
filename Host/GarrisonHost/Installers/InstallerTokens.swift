import Foundation

/// Installer tokens: login tokens limited to the scope "installer", so they can call only the
/// enrollment routes (`/api/v3/installer/`, `/api/v3/newagent/`), with the creating
/// operator's permissions and client/site scope, bound to the one site it was made for,
/// until they expire.
enum InstallerTokens {
    static let scope = "installer"
    /// A token minted by an anonymous fetch of a deployment link lives this long at most,
    /// however long the link itself is valid.
    static let deploymentTokenLifetime: TimeInterval = 3600

    static func issue(_ pool: DatabasePool, userID: Int, site: Int, hours: Int, deploymentID: Int? = nil, expiry: Date? = nil) async throws
        -> SessionTokens.Issued
    {
        let token = Crypto.randomHex(bytes: 32)
        let row = try await pool.query(
            """
            INSERT INTO auth_tokens (user_id, digest, token_prefix, scope, expiry, deployment_id, user_agent, site_id)
            VALUES ($1, $2, $3, $4, COALESCE($5::timestamptz, now() + make_interval(hours => $6)), $7, 'installer', $8) RETURNING extract(epoch FROM expiry) AS expiry
            """,
            [
                String(userID), Crypto.sha256Hex(token), String(token.prefix(8)), scope, expiry.map(SQLTime.text), String(hours),
                deploymentID.map(String.init), String(site),
            ]
        ).first!
        return SessionTokens.Issued(token: token, expiry: Date(timeIntervalSince1970: row.double("expiry")))
    }
}
