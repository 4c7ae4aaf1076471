import Foundation
import Hummingbird

/// Active login sessions: list and revoke, per user or one at a time. Operators see and end
/// their own; ending someone else's needs `can_manage_accounts`.
enum SessionRoutes {
    static func render(_ row: PGRow) -> JSON {
        [
            "id": .init(row.int("id")), "user": .init(row.int("user_id")), "token_prefix": .init(row.string("token_prefix")),
            "created": .init(row["created"]), "expiry": .init(row["expiry"]), "source_ip": .init(row.string("source_ip")),
            "user_agent": .init(row.string("user_agent")), "scope": .init(row["scope"]),
        ]
    }

    static func routes(_ host: HostContext) -> [Route] {
        [
            Route(.get, "/accounts/users/<pk>/sessions/", access: .authenticated, summary: "A user's active sessions") { call in
                let id = try call.intParam("pk")
                try requireSelfOr(call, id, "can_list_accounts")
                let rows = try await host.pool.query(
                    "SELECT * FROM auth_tokens WHERE user_id = $1 AND expiry > now() ORDER BY created DESC", [String(id)]
                ).rows
                return Responses.json(.array(rows.map(render)))
            },
            Route(.delete, "/accounts/users/<pk>/sessions/", access: .authenticated, summary: "End all of a user's sessions") { call in
                let id = try call.intParam("pk")
                try await requireSelfOrManager(host, call, id)
                let count = try await host.pool.transaction { connection in
                    let count = try connection.query("DELETE FROM auth_tokens WHERE user_id = $1", [String(id)]).affectedRows
                    try AuditLog.record(.init(call, .delete, "user", "Ended \(count) sessions of user \(id)"), on: connection)
                    return count
                }
                host.authenticator.invalidateAll()
                return Responses.json(["revoked": .init(count)])
            },
            Route(.delete, "/accounts/sessions/<id>/", access: .authenticated, summary: "End one session") { call in
                let id = try call.intParam("id")
                guard
                    let owner = try await host.pool.query("SELECT user_id FROM auth_tokens WHERE id = $1", [String(id)]).first?.int(
                        "user_id")
                else {
                    throw APIError.notFound("No session with id \(id).")
                }
                try await requireSelfOrManager(host, call, owner)
                try await host.pool.transaction { connection in
                    try connection.query("DELETE FROM auth_tokens WHERE id = $1", [String(id)])
                    try AuditLog.record(.init(call, .delete, "user", "Ended session \(id) of user \(owner)"), on: connection)
                }
                host.authenticator.invalidateAll()
                return Response(status: .noContent)
            },
        ]
    }

    /// Ending another operator's sessions needs can_manage_accounts and the right to manage
    /// that operator (signing a superuser or another client's operator out is not for everyone).
    static func requireSelfOrManager(_ host: HostContext, _ call: Call, _ userID: Int) async throws {
        try requireSelfOr(call, userID, "can_manage_accounts")
        let user = try call.user
        if user.id != userID {
            _ = try await GrantRules.checked(call, host, "user") {
                try await GrantRules.requireMayManage(user: userID, caller: user, host.pool)
            }
        }
    }

    static func requireSelfOr(_ call: Call, _ userID: Int, _ permission: String) throws {
        let user = try call.user
        if user.id != userID, !user.has(permission) {
            throw APIError.forbidden("You do not have permission to perform this action (needs \(permission)).")
        }
    }
}
