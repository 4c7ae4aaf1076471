import Foundation
import Hummingbird

/// API keys (`X-API-KEY`): owned by a user, inheriting that user's role, with an optional
/// expiry. The key is shown once, when created; only its digest is stored.
enum APIKeyRoutes {
    static let columns = "k.id, k.name, k.key_prefix, k.user_id, u.username, k.expiration, k.created_by, k.created_time, k.modified_time"

    static func render(_ row: PGRow) -> JSON {
        [
            "id": .init(row.int("id")), "name": .init(row.string("name")), "key_prefix": .init(row.string("key_prefix")),
            "user": .init(row.int("user_id")), "username": .init(row.string("username")), "expiration": .init(row["expiration"]),
            "created_by": .init(row.string("created_by")), "created_time": .init(row["created_time"]),
            "modified_time": .init(row["modified_time"]),
        ]
    }

    static func routes(_ host: HostContext) -> [Route] {
        [
            Route(.get, "/accounts/apikeys/", access: .permission("can_list_api_keys"), summary: "List API keys (without the secrets)") {
                _ in
                let rows = try await host.pool.query("SELECT \(columns) FROM api_keys k JOIN users u ON u.id = k.user_id ORDER BY k.name")
                    .rows
                return Responses.json(.array(rows.map(render)))
            },
            Route(
                .post, "/accounts/apikeys/", access: .permission("can_manage_api_keys"),
                summary: "Create an API key; the key is in this answer only"
            ) { call in
                let body = try call.object()
                let name = try body.nonEmptyString("name")
                let caller = try call.user
                // A key signs in as its user and skips the second factor: it is the caller's
                // own, unless a superuser makes one for somebody else.
                let userID = try body.optionalInt("user") ?? caller.id
                if userID != caller.id, !caller.isSuperuser {
                    await host.audit(call, .denied, "apikey", "Refused: an API key for user \(userID)")
                    throw APIError.forbidden(
                        "You can create API keys only for yourself (user \(caller.id)); only a superuser may create one for another user.")
                }
                let expiration = try body.optionalString("expiration")
                if let expiration, ISO8601Parsing.date(expiration) == nil {
                    throw APIError.badRequest("Field 'expiration' must be an ISO 8601 date-time, e.g. 2027-01-31T00:00:00Z.")
                }
                let key = Crypto.randomHex(bytes: 32)
                let row = try await host.pool.transaction { connection in
                    do {
                        let id = try connection.query(
                            """
                            INSERT INTO api_keys (name, digest, key_prefix, user_id, expiration, created_by)
                            VALUES ($1, $2, $3, $4, $5::timestamptz, $6) RETURNING id
                            """,
                            [name, Crypto.sha256Hex(key), String(key.prefix(8)), String(userID), expiration, call.principal?.name ?? ""]
                        ).first!.int("id")
                        let row = try connection.query(
                            "SELECT \(columns) FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1", [String(id)]
                        ).first!
                        try AuditLog.record(
                            .init(call, .add, "apikey", "Added API key \(name) for \(row.string("username"))", after: render(row)),
                            on: connection)
                        return row
                    } catch let error as DatabaseError where error.isUniqueViolation {
                        throw APIError.badRequest("An API key named \(name) already exists.")
                    } catch let error as DatabaseError where error.isForeignKeyViolation {
                        throw APIError.badRequest("User \(userID) does not exist.")
                    }
                }
                var answer = render(row).objectValue ?? [:]
                answer["key"] = .string(key)
                return Responses.json(.object(answer))
            },
            Route(
                .put, "/accounts/apikeys/<pk>/", access: .permission("can_manage_api_keys"),
                summary: "Rename an API key or change its expiry"
            ) { call in
                let id = try call.intParam("pk")
                let body = try call.object()
                let expiration = try body.optionalString("expiration")
                if let expiration, ISO8601Parsing.date(expiration) == nil {
                    throw APIError.badRequest("Field 'expiration' must be an ISO 8601 date-time.")
                }
                try await requireOwnerManageable(host, call, keyID: id)
                let row = try await host.pool.transaction { connection in
                    guard
                        let before = try connection.query(
                            "SELECT \(columns) FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1", [String(id)]
                        ).first
                    else {
                        throw APIError.notFound("No API key with id \(id).")
                    }
                    try connection.query(
                        "UPDATE api_keys SET name = coalesce($2, name), expiration = CASE WHEN $3::boolean THEN $4::timestamptz ELSE expiration END, modified_time = now() WHERE id = $1",
                        [String(id), try body.optionalString("name"), body.has("expiration") ? "t" : "f", expiration])
                    let row = try connection.query(
                        "SELECT \(columns) FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1", [String(id)]
                    ).first!
                    try AuditLog.record(
                        .init(
                            call, .modify, "apikey", "Modified API key \(row.string("name"))", before: render(before), after: render(row)),
                        on: connection)
                    return row
                }
                host.authenticator.invalidateAll()
                return Responses.json(render(row))
            },
            Route(.delete, "/accounts/apikeys/<pk>/", access: .permission("can_manage_api_keys"), summary: "Delete an API key") { call in
                let id = try call.intParam("pk")
                try await requireOwnerManageable(host, call, keyID: id)
                try await host.pool.transaction { connection in
                    guard
                        let before = try connection.query(
                            "SELECT \(columns) FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.id = $1", [String(id)]
                        ).first
                    else {
                        throw APIError.notFound("No API key with id \(id).")
                    }
                    try connection.query("DELETE FROM api_keys WHERE id = $1", [String(id)])
                    try AuditLog.record(
                        .init(call, .delete, "apikey", "Deleted API key \(before.string("name"))", before: render(before)), on: connection)
                }
                host.authenticator.invalidateAll()
                return Responses.message("The API key was deleted")
            },
        ]
    }
}

extension APIKeyRoutes {
    /// Another operator's key may be changed only by someone who may manage that operator
    /// (extending a superuser's key is as good as holding it).
    static func requireOwnerManageable(_ host: HostContext, _ call: Call, keyID: Int) async throws {
        let caller = try call.user
        guard let owner = try await host.pool.query("SELECT user_id FROM api_keys WHERE id = $1", [String(keyID)]).first?.int("user_id")
        else {
            throw APIError.notFound("No API key with id \(keyID).")
        }
        if owner == caller.id { return }
        _ = try await GrantRules.checked(call, host, "apikey") {
            try await GrantRules.requireMayManage(user: owner, caller: caller, host.pool)
        }
    }
}

enum ISO8601Parsing {
    static func date(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = withFraction.date(from: text) { return date }
        let plain = ISO8601DateFormatter()
        return plain.date(from: text)
    }
}
