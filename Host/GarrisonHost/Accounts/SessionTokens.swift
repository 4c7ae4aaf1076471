import Foundation

/// Login tokens: random, shown to the client once, stored only as a SHA-256 digest.
public enum SessionTokens {
    public struct Issued: Sendable {
        public let token: String
        public let expiry: Date
    }

    public static func issue(userID: Int, scope: String?, ttl: Duration, sourceIP: String, userAgent: String, on connection: PGConnection) throws -> Issued {
        let token = Crypto.randomHex(bytes: 32)
        let seconds = Double(ttl.components.seconds)
        let row = try connection.query("""
            INSERT INTO auth_tokens (user_id, digest, token_prefix, scope, expiry, source_ip, user_agent)
            VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5), $6, $7)
            RETURNING extract(epoch FROM expiry) AS expiry
            """, [String(userID), Crypto.sha256Hex(token), String(token.prefix(8)), scope, String(seconds), sourceIP, String(userAgent.prefix(300))]).first
        return Issued(token: token, expiry: Date(timeIntervalSince1970: row?.double("expiry") ?? 0))
    }
}

extension Date {
    /// ISO 8601 with fractional seconds, as Django REST framework renders datetimes.
    public var iso8601: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: self)
    }
}
