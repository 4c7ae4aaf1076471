import Foundation

/// The escalation rules every account route applies (README.md, "Who may grant what"):
/// nobody hands out a permission or a client/site scope they do not hold, nobody takes over
/// an account that holds more than they do (a new password or second factor is a take-over),
/// nobody edits a role they hold, and only a superuser touches a superuser. Superusers are
/// exempt from all of it, as they hold everything.
enum GrantRules {
    /// What a role gives, or what a user effectively holds through their role.
    struct Rights: Sendable {
        let superuser: Bool
        let permissions: Set<String>
        let scope: ObjectScope

        static let none = Rights(superuser: false, permissions: [], scope: .everything)
    }

    /// The rights a role row gives (columns is_superuser, permissions, can_view_clients, can_view_sites).
    static func rights(ofRole row: PGRow) -> Rights {
        Rights(
            superuser: row.bool("is_superuser"), permissions: Set(PGArray.parse(row["permissions"])),
            scope: ObjectScope(clients: Set(PGArray.ints(row["can_view_clients"])), sites: Set(PGArray.ints(row["can_view_sites"]))))
    }

    /// The rights a role gives, by id; a role that does not exist is a 400 naming it.
    static func rights(ofRoleID id: Int?, _ pool: DatabasePool) async throws -> Rights {
        guard let id else { return .none }
        guard
            let row = try await pool.query(
                "SELECT is_superuser, permissions, can_view_clients, can_view_sites FROM roles WHERE id = $1", [String(id)]
            ).first
        else {
            throw APIError.badRequest("Role \(id) does not exist.")
        }
        return rights(ofRole: row)
    }

    /// What a user holds: their own superuser flag or their role's, and the role's rights.
    static func rights(ofUser id: Int, _ pool: DatabasePool) async throws -> (username: String, roleID: Int?, rights: Rights) {
        guard
            let row = try await pool.query(
                """
                SELECT u.username, u.role_id, (u.is_superuser OR coalesce(r.is_superuser, false)) AS is_superuser,
                       coalesce(r.permissions, '{}') AS permissions, coalesce(r.can_view_clients, '{}') AS can_view_clients,
                       coalesce(r.can_view_sites, '{}') AS can_view_sites
                FROM users u LEFT JOIN roles r ON r.id = u.role_id WHERE u.id = $1
                """, [String(id)]
            ).first
        else {
            throw APIError.notFound("No user with id \(id).")
        }
        return (row.string("username"), row.optionalInt("role_id"), rights(ofRole: row))
    }

    /// Refuses (403) when `rights` hold anything the caller does not: the superuser flag, a
    /// permission, or a client or site outside the caller's scope. `what` names the action
    /// for the message ("grant", "take over").
    static func requireWithin(_ rights: Rights, caller: OperatorIdentity, _ pool: DatabasePool) async throws {
        if caller.isSuperuser { return }
        if rights.superuser { throw APIError.forbidden("Only a superuser can grant superuser rights.") }
        try requirePermissionsHeld(rights.permissions, caller: caller)
        try await requireScopeWithin(rights.scope, caller: caller, pool)
    }

    static func requirePermissionsHeld(_ permissions: Set<String>, caller: OperatorIdentity) throws {
        if caller.isSuperuser { return }
        let missing = permissions.subtracting(caller.permissions).sorted()
        if !missing.isEmpty {
            throw APIError.forbidden("You cannot grant permissions you do not hold: \(missing.joined(separator: ", ")).")
        }
    }

    /// A scope is within the caller's when every client in it is one of the caller's clients
    /// and every site in it is one of the caller's sites or belongs to one of their clients.
    /// An unrestricted scope (both lists empty) is within only an unrestricted one.
    static func requireScopeWithin(_ scope: ObjectScope, caller: OperatorIdentity, _ pool: DatabasePool) async throws {
        let mine = caller.scope
        if caller.isSuperuser || mine.isUnrestricted { return }
        if scope.isUnrestricted {
            throw APIError.forbidden(
                "You cannot grant access to every client: your own role is limited to some clients and sites. List the clients (can_view_clients) or sites (can_view_sites) to give."
            )
        }
        if let client = scope.clients.sorted().first(where: { !mine.clients.contains($0) }) {
            throw APIError.forbidden("Client \(client) is outside your scope.")
        }
        let sites = scope.sites.filter { !mine.sites.contains($0) }.sorted()
        if sites.isEmpty { return }
        let owners = try await pool.query("SELECT id, client_id FROM sites WHERE id = ANY($1::bigint[])", [PGArray.literal(sites)]).rows
        let clientOf = Dictionary(owners.map { ($0.int("id"), $0.int("client_id")) }, uniquingKeysWith: { a, _ in a })
        if let site = sites.first(where: { clientOf[$0].map { !mine.clients.contains($0) } ?? true }) {
            throw APIError.forbidden("Site \(site) is outside your scope.")
        }
    }

    /// Changing another operator (edit, password, second factor, deactivate, delete) is a
    /// take-over when they hold more than the caller: refused unless the caller holds all of it.
    static func requireMayManage(user id: Int, caller: OperatorIdentity, _ pool: DatabasePool) async throws -> (
        username: String, roleID: Int?
    ) {
        let target = try await rights(ofUser: id, pool)
        if caller.isSuperuser { return (target.username, target.roleID) }
        if target.rights.superuser { throw APIError.forbidden("Only a superuser can change a superuser (\(target.username)).") }
        let missing = target.rights.permissions.subtracting(caller.permissions).sorted()
        if !missing.isEmpty {
            throw APIError.forbidden(
                "You cannot change \(target.username): they hold permissions you do not: \(missing.joined(separator: ", ")).")
        }
        do { try await requireScopeWithin(target.rights.scope, caller: caller, pool) } catch let error as APIError {
            throw APIError.forbidden("You cannot change \(target.username): their scope is wider than yours (\(error.detail))")
        }
        return (target.username, target.roleID)
    }
}

extension GrantRules {
    /// Runs the checks of a change; a refusal (403) is audited as `denied` with its reason,
    /// so an attempt to escalate leaves a trace but never a row claiming success.
    static func checked<T: Sendable>(_ call: Call, _ host: HostContext, _ objectType: String, _ checks: () async throws -> T) async throws
        -> T
    {
        do { return try await checks() } catch let error as APIError where error.status == .forbidden {
            await host.audit(call, .denied, objectType, "Refused: \(error.detail)")
            throw error
        }
    }
}
