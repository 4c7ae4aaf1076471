import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import NIOConcurrencyHelpers

/// Turns request credentials into a principal. Operators send `Authorization: Token <t>`
/// or `X-API-KEY: <k>`; agents send their own token. Secrets are stored only as SHA-256
/// digests and looked up by digest, so a timing side channel can reveal nothing about a
/// stored secret. Lookups are cached briefly because every request needs one.
public final class Authenticator: Sendable {
    struct Cached: Sendable {
        let principal: Principal
        let until: ContinuousClock.Instant
    }

    let pool: DatabasePool
    let cacheTTL: Duration
    private let cache = NIOLockedValueBox<[String: Cached]>([:])
    private let loads = SingleFlight<(Principal, Date)?>()
    /// Bumped by invalidateAll: a load begun before the change is not cached after it.
    private let generation = NIOLockedValueBox(0)

    public init(pool: DatabasePool, cacheTTL: Duration = .seconds(5)) {
        self.pool = pool
        self.cacheTTL = cacheTTL
    }

    public func authenticate(_ headers: HTTPFields, access: Access) async throws -> Principal? {
        if access == .agent {
            guard let token = Self.token(headers) else { return nil }
            return try await lookup("agent:" + Crypto.sha256Hex(token)) { digest in try await self.loadAgent(digest: digest) }
        }
        if let key = headers[Self.apiKeyHeader], !key.isEmpty {
            return try await lookup("key:" + Crypto.sha256Hex(key)) { digest in try await self.loadAPIKey(digest: digest) }
        }
        if let token = Self.token(headers) {
            return try await lookup("token:" + Crypto.sha256Hex(token)) { digest in try await self.loadToken(digest: digest) }
        }
        return nil
    }

    /// Several hosts on one database (docs/scale-out.md): how an invalidation reaches the
    /// others, and whether they are heard right now. While not, nothing is served from the
    /// cache, so a change made on another host can never be missed for the cache's lifetime.
    private struct Sharing: Sendable {
        let announce: @Sendable () -> Void
        let isHeard: @Sendable () -> Bool
    }
    private let sharing = NIOLockedValueBox<Sharing?>(nil)

    func share(announce: @escaping @Sendable () -> Void, isHeard: @escaping @Sendable () -> Bool) {
        sharing.withLockedValue { $0 = Sharing(announce: announce, isHeard: isHeard) }
    }

    /// Forget every cached identity: called after any change to users, roles, tokens or keys,
    /// so a revoked token stops working on this host at once, and (with several hosts) on the
    /// others as soon as they hear of it.
    public func invalidateAll() {
        invalidateLocally()
        sharing.withLockedValue { $0 }?.announce()
    }

    /// Forget every cached identity here only (another host announced a change).
    func invalidateLocally() {
        generation.withLockedValue { $0 += 1 }
        loads.forgetAll()
        cache.withLockedValue { $0.removeAll(keepingCapacity: true) }
    }

    static let apiKeyHeader = HTTPField.Name("X-API-KEY")!

    static func token(_ headers: HTTPFields) -> String? {
        guard let value = headers[.authorization] else { return nil }
        for scheme in ["Token ", "Bearer "] where value.hasPrefix(scheme) {
            // Spaces and tabs around the token are dropped (Foundation's trimming was a
            // visible share of every request).
            let token = value.utf8.dropFirst(scheme.utf8.count).drop { $0 == 0x20 || $0 == 0x09 }
            guard let last = token.lastIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return nil }
            return String(Substring(token[...last]))
        }
        return nil
    }

    private func lookup(_ key: String, load: @escaping @Sendable (String) async throws -> (Principal, Date)?) async throws -> Principal? {
        let now = ContinuousClock.now
        if let hit = cache.withLockedValue({ $0[key] }), hit.until > now, sharing.withLockedValue({ $0 })?.isHeard() ?? true {
            return hit.principal
        }
        let digest = String(key[key.index(after: key.firstIndex(of: ":")!)...])
        let started = generation.withLockedValue { $0 }
        guard let (principal, expiry) = try await loads.run(key, { try await load(digest) }) else {
            cache.withLockedValue { _ = $0.removeValue(forKey: key) }
            return nil
        }
        // Never cache past the credential's own expiry.
        let remaining = expiry.timeIntervalSinceNow
        let ttl = min(cacheTTL, .milliseconds(Int64(max(0, remaining) * 1000)))
        guard generation.withLockedValue({ $0 }) == started else { return principal }
        cache.withLockedValue { cache in
            if cache.count > 100_000 { cache.removeAll(keepingCapacity: true) }
            cache[key] = Cached(principal: principal, until: now + ttl)
        }
        return principal
    }

    private static let identityColumns = """
        u.id AS user_id, u.username, u.is_active, u.role_id,
        (u.is_superuser OR coalesce(r.is_superuser, false)) AS superuser,
        coalesce(r.permissions, '{}') AS permissions,
        coalesce(r.can_view_clients, '{}') AS clients,
        coalesce(r.can_view_sites, '{}') AS sites
        """

    private func loadToken(digest: String) async throws -> (Principal, Date)? {
        let result = try await pool.query(
            """
            SELECT \(Self.identityColumns), t.id AS token_id, t.scope, t.site_id AS installer_site, extract(epoch FROM t.expiry) AS expiry
            FROM auth_tokens t JOIN users u ON u.id = t.user_id LEFT JOIN roles r ON r.id = u.role_id
            WHERE t.digest = $1 AND t.expiry > now()
            """, [digest])
        guard let row = result.first, row.bool("is_active") else { return nil }
        return (
            .user(Self.identity(row, tokenID: row.int("token_id"), scope: row["scope"], viaAPIKey: false)),
            Date(timeIntervalSince1970: row.double("expiry"))
        )
    }

    private func loadAPIKey(digest: String) async throws -> (Principal, Date)? {
        let result = try await pool.query(
            """
            SELECT \(Self.identityColumns), extract(epoch FROM k.expiration) AS expiry
            FROM api_keys k JOIN users u ON u.id = k.user_id LEFT JOIN roles r ON r.id = u.role_id
            WHERE k.digest = $1 AND (k.expiration IS NULL OR k.expiration > now())
            """, [digest])
        guard let row = result.first, row.bool("is_active") else { return nil }
        let expiry = row["expiry"].flatMap(Double.init).map { Date(timeIntervalSince1970: $0) } ?? .distantFuture
        return (.user(Self.identity(row, tokenID: nil, scope: nil, viaAPIKey: true)), expiry)
    }

    private func loadAgent(digest: String) async throws -> (Principal, Date)? {
        let result = try await pool.query("SELECT id, agent_id FROM agents WHERE token_digest = $1", [digest], prepared: true)
        guard let row = result.first else { return nil }
        return (.agent(AgentIdentity(id: row.int("id"), agentID: row.string("agent_id"))), .distantFuture)
    }

    private static func identity(_ row: PGRow, tokenID: Int?, scope: String?, viaAPIKey: Bool) -> OperatorIdentity {
        OperatorIdentity(
            id: row.int("user_id"), username: row.string("username"), isSuperuser: row.bool("superuser"),
            permissions: Set(PGArray.parse(row["permissions"])),
            scope: ObjectScope(clients: Set(PGArray.ints(row["clients"])), sites: Set(PGArray.ints(row["sites"]))),
            tokenID: tokenID, limitedScope: scope, viaAPIKey: viaAPIKey, roleID: row.optionalInt("role_id"),
            installerSite: row.optionalInt("installer_site"))
    }
}
